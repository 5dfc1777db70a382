"""Re-run a zoo's recorded calls with this machine's TensorFlow, for test-native.mjs.

The zoo's oracle was written by TensorFlow on one CPU. TensorFlow's own float16/bfloat16
kernels take CPU-specific oneDNN paths (AVX512-FP16, AMX), so on another CPU TensorFlow itself
can answer differently from the recorded outputs. The native runtime *is* TensorFlow, so when it
misses the recorded oracle, test-native asks this script what TensorFlow on this machine answers
for the same inputs, and holds the native runtime to that.

    python scripts/tf-local-oracle.py ZOO_DIR OUT_DIR MODEL [MODEL ...]

Writes OUT_DIR/oracle.jsonl with every recorded call of the named models (same inputs, outputs
from this machine's TensorFlow), OUT_DIR/manifest.json (those models only) and OUT_DIR/models
(a link to ZOO_DIR/models).
"""
import base64
import json
import os
import sys

import numpy as np

# The zoo generator's own encoding of a tensor as the oracle writes it (tensor_json, DT).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "zoo"))
from generate import DT, tensor_json  # noqa: E402
import tensorflow as tf  # noqa: E402

DTYPES = {name: dtype for dtype, name in DT.items()}
SPECIAL = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def from_json(t):
    """A recorded tensor (the oracle's JSON form) as a tf constant of its dtype."""
    dt = DTYPES[t["dtype"]]
    shape = t["shape"]
    if t["dtype"] == "DT_STRING":
        return tf.constant([base64.b64decode(v) for v in t["values"]], dtype=tf.string, shape=shape)
    if t["dtype"] in ("DT_HALF", "DT_BFLOAT16"):
        bits = np.array(t["bits"], dtype=np.uint16).reshape(shape)
        return tf.bitcast(tf.constant(bits, dtype=tf.uint16), dt)
    if t["dtype"] in ("DT_INT64", "DT_UINT64"):
        return tf.constant([int(v) for v in t["values"]], dtype=dt, shape=shape)
    if t["dtype"] in ("DT_FLOAT", "DT_DOUBLE"):
        return tf.constant([SPECIAL.get(v, v) if isinstance(v, str) else v for v in t["values"]], dtype=dt, shape=shape)
    return tf.constant(t["values"], dtype=dt, shape=shape)


def main(zoo, out, models):
    os.makedirs(out, exist_ok=True)
    manifest = json.load(open(os.path.join(zoo, "manifest.json")))
    manifest["models"] = {k: v for k, v in manifest["models"].items() if k in models}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    link = os.path.join(out, "models")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(os.path.join(zoo, "models")), link)
    loaded = {}
    lines = []
    for raw in open(os.path.join(zoo, "oracle.jsonl")):
        x = json.loads(raw)
        if x["model"] not in models:
            continue
        if x["model"] not in loaded:
            loaded[x["model"]] = tf.saved_model.load(os.path.join(zoo, "models", x["model"], str(x["version"])))
        fn = loaded[x["model"]].signatures[x["signature"]]
        outs = fn(**{k: from_json(v) for k, v in x["inputs"].items()})
        x["outputs"] = {k: tensor_json(v) for k, v in sorted(outs.items())}
        lines.append(x)
    with open(os.path.join(out, "oracle.jsonl"), "w") as f:
        for x in lines:
            f.write(json.dumps(x, allow_nan=False) + "\n")
    print(f"tf-local-oracle: {len(lines)} calls of {len(loaded)} model(s) re-run with TensorFlow {tf.__version__}")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], set(sys.argv[3:]))
