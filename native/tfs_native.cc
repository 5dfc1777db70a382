// tfs_native: a small Node-API addon over TensorFlow's C API, so tfs can run a SavedModel in
// TensorFlow's own runtime (`tfs serve --runtime tensorflow`).
//
// JavaScript sees four functions (src/native/addon.ts types them):
//   version()                         -> TF_Version()
//   load(dir, tags, configBytes, restores?) -> Promise<session> (TF_LoadSessionFromSavedModel, then
//                                        RestoreCaptured for the flat [handle, key, ...] list)
//   features                          -> ['restoreCaptured']: what this build supports
//   run(session, feeds, fetches, targets) -> Promise<tensor[]> (TF_SessionRun)
//   devices(session)                  -> [{ name, type, memory }]
//   localDevices()                    -> the devices a fresh session sees
//   close(session)                    -> undefined (the caller ensures no run is in flight)
// A feed is [tensorName, dtypeEnum, shape, data]; a tensor is { dtype, shape, data }, with data
// a typed array holding TF's own memory layout (BigInt64Array for int64, Uint16Array bit
// patterns for half/bfloat16, interleaved floats for complex, Uint8Array 0/1 for bool) or, for
// DT_STRING, an array of Uint8Array byte strings. Values are copied byte for byte both ways.
//
// load and run are napi async work: TensorFlow runs on libuv's thread pool, never on the event
// loop. A failure rejects with an Error whose `tfCode` is TF's status code and whose message
// is TensorFlow's own.
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/tf_tstring.h"

namespace {

struct Session {
  TF_Graph* graph = nullptr;
  TF_Session* session = nullptr;
};

// Throws a JS error and returns nullptr from the enclosing napi callback.
#define NAPI_OK(env, call)                                          \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      const napi_extended_error_info* info = nullptr;               \
      napi_get_last_error_info((env), &info);                       \
      bool pending = false;                                         \
      napi_is_exception_pending((env), &pending);                   \
      if (!pending)                                                 \
        napi_throw_error((env), nullptr,                            \
                         info && info->error_message                \
                             ? info->error_message                  \
                             : "tfs_native: Node-API call failed"); \
      return nullptr;                                               \
    }                                                               \
  } while (0)

napi_value MakeError(napi_env env, int code, const std::string& message) {
  napi_value msg, err, code_value;
  napi_create_string_utf8(env, message.c_str(), message.size(), &msg);
  napi_create_error(env, nullptr, msg, &err);
  napi_create_int32(env, code, &code_value);
  napi_set_named_property(env, err, "tfCode", code_value);
  return err;
}

napi_value Undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

bool GetString(napi_env env, napi_value v, std::string* out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  out->resize(len);
  std::vector<char> buf(len + 1);
  if (napi_get_value_string_utf8(env, v, buf.data(), len + 1, &len) != napi_ok) return false;
  out->assign(buf.data(), len);
  return true;
}

bool GetStringArray(napi_env env, napi_value arr, std::vector<std::string>* out) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return false;
  for (uint32_t i = 0; i < n; ++i) {
    napi_value e;
    std::string s;
    if (napi_get_element(env, arr, i, &e) != napi_ok || !GetString(env, e, &s)) return false;
    out->push_back(s);
  }
  return true;
}

Session* GetSession(napi_env env, napi_value v) {
  void* p = nullptr;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == nullptr) return nullptr;
  Session* s = static_cast<Session*>(p);
  return s->session ? s : nullptr;
}

// "name:3" -> (operation, 3). Returns false when the graph has no such operation.
bool ParseOutput(TF_Graph* graph, const std::string& name, TF_Output* out) {
  std::string op = name;
  int index = 0;
  size_t colon = name.rfind(':');
  if (colon != std::string::npos) {
    op = name.substr(0, colon);
    index = std::atoi(name.c_str() + colon + 1);
  }
  if (!op.empty() && op[0] == '^') return false;
  TF_Operation* oper = TF_GraphOperationByName(graph, op.c_str());
  if (oper == nullptr || index < 0 || index >= TF_OperationNumOutputs(oper)) return false;
  out->oper = oper;
  out->index = index;
  return true;
}

// --- load -------------------------------------------------------------------------------

struct LoadWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  std::string dir;
  std::vector<std::string> tags;
  // (VarHandleOp name, checkpoint key) pairs to restore after the load (RestoreCaptured).
  std::vector<std::pair<std::string, std::string>> restores;
  TF_SessionOptions* options = nullptr;
  Session* result = nullptr;
  int code = 0;
  std::string message;
};

// A DT_STRING tensor of `values`: a scalar (one value) or a vector.
TF_Tensor* StringTensor(const std::vector<std::string>& values, bool scalar) {
  const int64_t n = static_cast<int64_t>(values.size());
  TF_Tensor* t = TF_AllocateTensor(TF_STRING, scalar ? nullptr : &n, scalar ? 0 : 1, sizeof(TF_TString) * values.size());
  TF_TString* p = static_cast<TF_TString*>(TF_TensorData(t));
  for (size_t i = 0; i < values.size(); ++i) {
    TF_StringInit(&p[i]);
    TF_StringCopy(&p[i], values[i].data(), values[i].size());
  }
  return t;
}

// A CPU Const node named `name` holding `t` (which it copies; the caller deletes t).
TF_Operation* StringConst(TF_Graph* graph, const std::string& name, TF_Tensor* t, TF_Status* status) {
  TF_OperationDescription* d = TF_NewOperation(graph, "Const", name.c_str());
  TF_SetDevice(d, "/device:CPU:0");
  TF_SetAttrTensor(d, "value", t, status);
  TF_SetAttrType(d, "dtype", TF_STRING);
  if (TF_GetCode(status) != TF_OK) {
    // TF_FinishOperation frees the description but overwrites the status: keep the first error.
    const std::string message = TF_Message(status);
    const TF_Code code = TF_GetCode(status);
    TF_FinishOperation(d, status);
    TF_SetStatus(status, code, message.c_str());
    return nullptr;
  }
  return TF_FinishOperation(d, status);
}

// Restores variables that TensorFlow's graph loader leaves uncreated: for each (VarHandleOp
// name, checkpoint key) pair, adds RestoreV2(<dir>/variables/variables, key) and an
// AssignVariableOp into that handle to the session's graph, and runs the assigns once.
//
// Why: tf.saved_model.save of a Keras 3 model writes two handles per variable: the saver's
// restore op (saver_def.restore_op_name, what TF_LoadSessionFromSavedModel runs) restores one
// set (`Variable`, `Variable_1`, ...), while the signature functions capture another
// (`sequential/dense/kernel`, ...) that no op of the graph initializes, so every signature
// fails with "Could not find variable". TensorFlow's object-graph loader
// (tf.saved_model.load) binds the captured handles to their checkpoint keys through
// SavedConcreteFunction.bound_inputs; src/servables/native-servable.ts finds the same pairs
// and this does the restore those keys call for, with TensorFlow's own RestoreV2.
bool RestoreCaptured(TF_Graph* graph, TF_Session* session, const std::string& prefix,
                     const std::vector<std::pair<std::string, std::string>>& pairs, std::string* error) {
  TF_Status* status = TF_NewStatus();
  std::vector<TF_Operation*> handles;
  std::vector<TF_DataType> dtypes;
  std::vector<std::string> keys;
  for (const auto& [name, key] : pairs) {
    TF_Operation* op = TF_GraphOperationByName(graph, name.c_str());
    TF_DataType dtype = TF_FLOAT;
    if (op == nullptr || std::string(TF_OperationOpType(op)) != "VarHandleOp") {
      *error = "the graph has no VarHandleOp " + name;
      TF_DeleteStatus(status);
      return false;
    }
    TF_OperationGetAttrType(op, "dtype", &dtype, status);
    if (TF_GetCode(status) != TF_OK) {
      *error = "variable " + name + ": " + TF_Message(status);
      TF_DeleteStatus(status);
      return false;
    }
    handles.push_back(op);
    dtypes.push_back(dtype);
    keys.push_back(key);
  }
  // A name scope no node of the graph uses.
  std::string scope = "tfs_restore_captured";
  for (int i = 1; TF_GraphOperationByName(graph, (scope + "/prefix").c_str()) != nullptr; ++i)
    scope = "tfs_restore_captured_" + std::to_string(i);
  TF_Tensor* prefix_t = StringTensor({prefix}, true);
  TF_Tensor* names_t = StringTensor(keys, false);
  TF_Tensor* slices_t = StringTensor(std::vector<std::string>(keys.size()), false);
  TF_Operation* prefix_op = StringConst(graph, scope + "/prefix", prefix_t, status);
  TF_Operation* names_op = prefix_op ? StringConst(graph, scope + "/tensor_names", names_t, status) : nullptr;
  TF_Operation* slices_op = names_op ? StringConst(graph, scope + "/shape_and_slices", slices_t, status) : nullptr;
  TF_DeleteTensor(prefix_t);
  TF_DeleteTensor(names_t);
  TF_DeleteTensor(slices_t);
  std::vector<TF_Operation*> assigns;
  if (slices_op != nullptr) {
    TF_OperationDescription* d = TF_NewOperation(graph, "RestoreV2", (scope + "/RestoreV2").c_str());
    TF_SetDevice(d, "/device:CPU:0");
    TF_AddInput(d, TF_Output{prefix_op, 0});
    TF_AddInput(d, TF_Output{names_op, 0});
    TF_AddInput(d, TF_Output{slices_op, 0});
    TF_SetAttrTypeList(d, "dtypes", dtypes.data(), static_cast<int>(dtypes.size()));
    TF_Operation* restore = TF_FinishOperation(d, status);
    for (size_t i = 0; restore != nullptr && TF_GetCode(status) == TF_OK && i < handles.size(); ++i) {
      TF_OperationDescription* a = TF_NewOperation(graph, "AssignVariableOp", (scope + "/Assign_" + std::to_string(i)).c_str());
      TF_AddInput(a, TF_Output{handles[i], 0});
      TF_AddInput(a, TF_Output{restore, static_cast<int>(i)});
      TF_SetAttrType(a, "dtype", dtypes[i]);
      TF_Operation* op = TF_FinishOperation(a, status);
      if (op != nullptr) assigns.push_back(op);
    }
  }
  if (TF_GetCode(status) == TF_OK) {
    TF_SessionRun(session, nullptr, nullptr, nullptr, 0, nullptr, nullptr, 0, assigns.data(), static_cast<int>(assigns.size()),
                  nullptr, status);
  }
  const bool ok = TF_GetCode(status) == TF_OK;
  if (!ok) *error = TF_Message(status);
  TF_DeleteStatus(status);
  return ok;
}

void LoadExecute(napi_env, void* data) {
  LoadWork* w = static_cast<LoadWork*>(data);
  std::vector<const char*> tags;
  for (const auto& t : w->tags) tags.push_back(t.c_str());
  TF_Status* status = TF_NewStatus();
  TF_Graph* graph = TF_NewGraph();
  TF_Session* session = TF_LoadSessionFromSavedModel(w->options, nullptr, w->dir.c_str(), tags.data(),
                                                     static_cast<int>(tags.size()), graph, nullptr, status);
  if (TF_GetCode(status) != TF_OK || session == nullptr) {
    w->code = TF_GetCode(status) == TF_OK ? TF_UNKNOWN : TF_GetCode(status);
    w->message = TF_Message(status);
    if (session) {
      TF_CloseSession(session, status);
      TF_DeleteSession(session, status);
    }
    TF_DeleteGraph(graph);
  } else if (!w->restores.empty() && !RestoreCaptured(graph, session, w->dir + "/variables/variables", w->restores, &w->message)) {
    w->code = TF_FAILED_PRECONDITION;
    w->message = "restoring the variables the signatures capture but the graph's restore op does not create failed: " + w->message;
    TF_CloseSession(session, status);
    TF_DeleteSession(session, status);
    TF_DeleteGraph(graph);
  } else {
    w->result = new Session{graph, session};
  }
  TF_DeleteStatus(status);
}

void FinalizeSession(napi_env, void* data, void*) {
  Session* s = static_cast<Session*>(data);
  TF_Status* status = TF_NewStatus();
  if (s->session) {
    TF_CloseSession(s->session, status);
    TF_DeleteSession(s->session, status);
  }
  if (s->graph) TF_DeleteGraph(s->graph);
  TF_DeleteStatus(status);
  delete s;
}

void LoadComplete(napi_env env, napi_status, void* data) {
  LoadWork* w = static_cast<LoadWork*>(data);
  if (w->result) {
    napi_value ext;
    napi_create_external(env, w->result, FinalizeSession, nullptr, &ext);
    napi_resolve_deferred(env, w->deferred, ext);
  } else {
    napi_reject_deferred(env, w->deferred, MakeError(env, w->code, w->message));
  }
  TF_DeleteSessionOptions(w->options);
  napi_delete_async_work(env, w->work);
  delete w;
}

napi_value Load(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  LoadWork* w = new LoadWork();
  std::vector<std::string> restores;
  if (argc < 3 || !GetString(env, argv[0], &w->dir) || !GetStringArray(env, argv[1], &w->tags) ||
      (argc == 4 && !GetStringArray(env, argv[3], &restores)) || restores.size() % 2 != 0) {
    delete w;
    napi_throw_type_error(env, nullptr, "load(dir: string, tags: string[], config: Uint8Array, restores?: string[] (handle, key, ...))");
    return nullptr;
  }
  for (size_t i = 0; i + 1 < restores.size(); i += 2) w->restores.emplace_back(restores[i], restores[i + 1]);
  w->options = TF_NewSessionOptions();
  bool is_typed = false;
  napi_is_typedarray(env, argv[2], &is_typed);
  napi_value promise;
  NAPI_OK(env, napi_create_promise(env, &w->deferred, &promise));
  if (is_typed) {
    napi_typedarray_type type;
    size_t length = 0;
    void* bytes = nullptr;
    NAPI_OK(env, napi_get_typedarray_info(env, argv[2], &type, &length, &bytes, nullptr, nullptr));
    TF_Status* status = TF_NewStatus();
    TF_SetConfig(w->options, bytes, length, status);
    if (TF_GetCode(status) != TF_OK) {
      napi_reject_deferred(env, w->deferred, MakeError(env, TF_GetCode(status), TF_Message(status)));
      TF_DeleteStatus(status);
      TF_DeleteSessionOptions(w->options);
      delete w;
      return promise;
    }
    TF_DeleteStatus(status);
  }
  napi_value name;
  napi_create_string_utf8(env, "tfs_native.load", NAPI_AUTO_LENGTH, &name);
  NAPI_OK(env, napi_create_async_work(env, nullptr, name, LoadExecute, LoadComplete, w, &w->work));
  NAPI_OK(env, napi_queue_async_work(env, w->work));
  return promise;
}

// --- tensors ----------------------------------------------------------------------------

int64_t NumElements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// A JS feed [name, dtype, shape, data] as a TF_Tensor; on failure sets *error and returns null.
TF_Tensor* ToTensor(napi_env env, napi_value dtype_v, napi_value shape_v, napi_value data_v, std::string* error) {
  int32_t dtype = 0;
  uint32_t rank = 0;
  if (napi_get_value_int32(env, dtype_v, &dtype) != napi_ok || napi_get_array_length(env, shape_v, &rank) != napi_ok) {
    *error = "a feed needs a dtype number and a shape array";
    return nullptr;
  }
  std::vector<int64_t> dims(rank);
  for (uint32_t i = 0; i < rank; ++i) {
    napi_value d;
    napi_get_element(env, shape_v, i, &d);
    napi_get_value_int64(env, d, &dims[i]);
  }
  const int64_t n = NumElements(dims);
  if (dtype == TF_STRING) {
    uint32_t len = 0;
    if (napi_get_array_length(env, data_v, &len) != napi_ok || len != static_cast<uint64_t>(n)) {
      *error = "a string feed needs one byte string per element";
      return nullptr;
    }
    TF_Tensor* t = TF_AllocateTensor(TF_STRING, dims.data(), static_cast<int>(rank), sizeof(TF_TString) * n);
    TF_TString* p = static_cast<TF_TString*>(TF_TensorData(t));
    for (int64_t i = 0; i < n; ++i) TF_StringInit(&p[i]);
    for (uint32_t i = 0; i < len; ++i) {
      napi_value e;
      napi_typedarray_type type;
      size_t count = 0;
      void* bytes = nullptr;
      napi_get_element(env, data_v, i, &e);
      if (napi_get_typedarray_info(env, e, &type, &count, &bytes, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
        TF_DeleteTensor(t);
        *error = "string elements must be Uint8Array";
        return nullptr;
      }
      TF_StringCopy(&p[i], static_cast<const char*>(bytes), count);
    }
    return t;
  }
  napi_typedarray_type type;
  size_t count = 0;
  void* bytes = nullptr;
  if (napi_get_typedarray_info(env, data_v, &type, &count, &bytes, nullptr, nullptr) != napi_ok) {
    *error = "a numeric feed needs a typed array";
    return nullptr;
  }
  size_t elem = 1;
  switch (type) {
    case napi_int16_array:
    case napi_uint16_array: elem = 2; break;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: elem = 4; break;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array: elem = 8; break;
    default: elem = 1;
  }
  const size_t want = TF_DataTypeSize(static_cast<TF_DataType>(dtype)) * static_cast<size_t>(n);
  if (TF_DataTypeSize(static_cast<TF_DataType>(dtype)) == 0 || count * elem != want) {
    *error = "feed data does not match its dtype and shape";
    return nullptr;
  }
  TF_Tensor* t = TF_AllocateTensor(static_cast<TF_DataType>(dtype), dims.data(), static_cast<int>(rank), want);
  if (want > 0) std::memcpy(TF_TensorData(t), bytes, want);
  return t;
}

// The typed array kind and element count per TF element for a numeric dtype (0 = unsupported).
int ArrayKind(TF_DataType dtype, napi_typedarray_type* type) {
  switch (dtype) {
    case TF_FLOAT: *type = napi_float32_array; return 1;
    case TF_DOUBLE: *type = napi_float64_array; return 1;
    case TF_INT32: *type = napi_int32_array; return 1;
    case TF_UINT8: *type = napi_uint8_array; return 1;
    case TF_INT16: *type = napi_int16_array; return 1;
    case TF_INT8: *type = napi_int8_array; return 1;
    case TF_COMPLEX64: *type = napi_float32_array; return 2;
    case TF_INT64: *type = napi_bigint64_array; return 1;
    case TF_BOOL: *type = napi_uint8_array; return 1;
    case TF_BFLOAT16: *type = napi_uint16_array; return 1;
    case TF_UINT16: *type = napi_uint16_array; return 1;
    case TF_COMPLEX128: *type = napi_float64_array; return 2;
    case TF_HALF: *type = napi_uint16_array; return 1;
    case TF_UINT32: *type = napi_uint32_array; return 1;
    case TF_UINT64: *type = napi_biguint64_array; return 1;
    default: return 0;
  }
}

// Frees a TF_Tensor whose memory JavaScript held as an external ArrayBuffer (once it is collected).
void FinalizeTensorData(napi_env, void*, void* hint) { TF_DeleteTensor(static_cast<TF_Tensor*>(hint)); }

// The bytes of *tp as an ArrayBuffer. When TensorFlow's buffer has no other owner (not a
// constant's or a variable's memory, not shared with another output: TF_TensorMaybeMove
// succeeds), it is handed over without a copy: the ArrayBuffer is that (64-byte aligned)
// buffer and owns the TF_Tensor, which it frees when collected; *tp is then null. Otherwise
// (shared buffers, empty tensors, a Node that refuses external buffers) the bytes are copied
// and *tp stays the caller's to delete.
napi_value TensorBytes(napi_env env, TF_Tensor** tp) {
  const size_t bytes = TF_TensorByteSize(*tp);
  napi_value ab;
  if (bytes > 0) {
    TF_Tensor* sole = TF_TensorMaybeMove(*tp);  // on success *tp is deleted and sole replaces it
    if (sole != nullptr) {
      *tp = sole;
      if (napi_create_external_arraybuffer(env, TF_TensorData(sole), bytes, FinalizeTensorData, sole, &ab) == napi_ok) {
        *tp = nullptr;
        return ab;
      }
    }
  }
  void* dst = nullptr;
  napi_create_arraybuffer(env, bytes, &dst, &ab);
  if (bytes > 0) std::memcpy(dst, TF_TensorData(*tp), bytes);
  return ab;
}

// *tp as { dtype, shape, data }; on failure sets *error and returns null. Strings are copied
// (one Uint8Array each); numeric data may be TensorFlow's buffer itself (TensorBytes), in which
// case *tp is set to null: the tensor then belongs to JavaScript.
napi_value FromTensor(napi_env env, TF_Tensor** tp, std::string* error) {
  TF_Tensor* t = *tp;
  const TF_DataType dtype = TF_TensorType(t);
  const int rank = TF_NumDims(t);
  std::vector<int64_t> dims(rank);
  napi_value obj, shape, dtype_v, data;
  napi_create_object(env, &obj);
  napi_create_array_with_length(env, rank, &shape);
  for (int i = 0; i < rank; ++i) {
    dims[i] = TF_Dim(t, i);
    napi_value d;
    napi_create_int64(env, dims[i], &d);
    napi_set_element(env, shape, i, d);
  }
  const int64_t n = NumElements(dims);
  if (dtype == TF_STRING) {
    napi_create_array_with_length(env, n, &data);
    const TF_TString* p = static_cast<const TF_TString*>(TF_TensorData(t));
    for (int64_t i = 0; i < n; ++i) {
      const size_t size = TF_StringGetSize(&p[i]);
      void* dst = nullptr;
      napi_value ab, u8;
      napi_create_arraybuffer(env, size, &dst, &ab);
      if (size > 0) std::memcpy(dst, TF_StringGetDataPointer(&p[i]), size);
      napi_create_typedarray(env, napi_uint8_array, size, ab, 0, &u8);
      napi_set_element(env, data, static_cast<uint32_t>(i), u8);
    }
  } else {
    napi_typedarray_type type;
    const int per = ArrayKind(dtype, &type);
    if (per == 0) {
      *error = "TensorFlow returned a tensor of dtype " + std::to_string(dtype) + ", which has no value representation";
      return nullptr;
    }
    napi_value ab = TensorBytes(env, tp);
    napi_create_typedarray(env, type, static_cast<size_t>(n) * per, ab, 0, &data);
  }
  napi_create_int32(env, dtype, &dtype_v);
  napi_set_named_property(env, obj, "dtype", dtype_v);
  napi_set_named_property(env, obj, "shape", shape);
  napi_set_named_property(env, obj, "data", data);
  return obj;
}

// --- run --------------------------------------------------------------------------------

struct RunWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref session_ref = nullptr;  // keeps the session alive while the run is queued
  Session* session = nullptr;
  std::vector<TF_Output> inputs;
  std::vector<TF_Tensor*> values;
  std::vector<TF_Output> outputs;
  std::vector<TF_Tensor*> results;
  std::vector<TF_Operation*> targets;
  int code = 0;
  std::string message;
};

void FreeTensors(std::vector<TF_Tensor*>* ts) {
  for (TF_Tensor* t : *ts)
    if (t) TF_DeleteTensor(t);
  ts->clear();
}

void RunExecute(napi_env, void* data) {
  RunWork* w = static_cast<RunWork*>(data);
  TF_Status* status = TF_NewStatus();
  w->results.assign(w->outputs.size(), nullptr);
  TF_SessionRun(w->session->session, nullptr, w->inputs.data(), w->values.data(), static_cast<int>(w->inputs.size()),
                w->outputs.data(), w->results.data(), static_cast<int>(w->outputs.size()), w->targets.data(),
                static_cast<int>(w->targets.size()), nullptr, status);
  if (TF_GetCode(status) != TF_OK) {
    w->code = TF_GetCode(status);
    w->message = TF_Message(status);
  }
  TF_DeleteStatus(status);
  FreeTensors(&w->values);
}

void RunComplete(napi_env env, napi_status, void* data) {
  RunWork* w = static_cast<RunWork*>(data);
  if (w->code != 0) {
    napi_reject_deferred(env, w->deferred, MakeError(env, w->code, w->message));
  } else {
    napi_value arr;
    napi_create_array_with_length(env, w->results.size(), &arr);
    std::string error;
    bool ok = true;
    for (size_t i = 0; i < w->results.size() && ok; ++i) {
      // FromTensor may hand the tensor to JavaScript (results[i] becomes null) or replace it.
      napi_value v = w->results[i] ? FromTensor(env, &w->results[i], &error) : nullptr;
      if (v == nullptr) {
        ok = false;
        if (error.empty()) error = "TensorFlow returned no tensor for a fetch";
      } else {
        napi_set_element(env, arr, static_cast<uint32_t>(i), v);
      }
    }
    if (ok) napi_resolve_deferred(env, w->deferred, arr);
    else napi_reject_deferred(env, w->deferred, MakeError(env, TF_INTERNAL, error));
  }
  FreeTensors(&w->results);
  napi_delete_reference(env, w->session_ref);
  napi_delete_async_work(env, w->work);
  delete w;
}

// Reads the feeds, fetches and targets of run() into w; on failure returns the error text.
std::string ReadRunArgs(napi_env env, napi_value* argv, RunWork* w) {
  uint32_t nfeeds = 0;
  if (napi_get_array_length(env, argv[1], &nfeeds) != napi_ok) return "feeds must be an array";
  for (uint32_t i = 0; i < nfeeds; ++i) {
    napi_value feed, name_v, dtype_v, shape_v, data_v;
    napi_get_element(env, argv[1], i, &feed);
    napi_get_element(env, feed, 0, &name_v);
    napi_get_element(env, feed, 1, &dtype_v);
    napi_get_element(env, feed, 2, &shape_v);
    napi_get_element(env, feed, 3, &data_v);
    std::string name, error;
    TF_Output out;
    if (!GetString(env, name_v, &name)) return "a feed's name must be a string";
    if (!ParseOutput(w->session->graph, name, &out))
      return "Tensor " + name + ", specified in either feed_devices or fetch_devices was not found in the Graph";
    TF_Tensor* t = ToTensor(env, dtype_v, shape_v, data_v, &error);
    if (t == nullptr) return "feed " + name + ": " + error;
    w->inputs.push_back(out);
    w->values.push_back(t);
  }
  std::vector<std::string> fetches, targets;
  if (!GetStringArray(env, argv[2], &fetches) || !GetStringArray(env, argv[3], &targets))
    return "fetches and targets must be string arrays";
  for (const auto& f : fetches) {
    TF_Output out;
    if (!ParseOutput(w->session->graph, f, &out)) return "Tensor " + f + ", specified in either feed_devices or fetch_devices was not found in the Graph";
    w->outputs.push_back(out);
  }
  for (const auto& name : targets) {
    TF_Operation* op = TF_GraphOperationByName(w->session->graph, name.c_str());
    if (op == nullptr) return "Node '" + name + "' is not found in the Graph";
    w->targets.push_back(op);
  }
  return "";
}

napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Session* s = argc == 4 ? GetSession(env, argv[0]) : nullptr;
  if (s == nullptr) {
    napi_throw_type_error(env, nullptr, "run(session, feeds, fetches, targets): no open session");
    return nullptr;
  }
  RunWork* w = new RunWork();
  w->session = s;
  napi_value promise;
  NAPI_OK(env, napi_create_promise(env, &w->deferred, &promise));
  const std::string error = ReadRunArgs(env, argv, w);
  if (!error.empty()) {
    FreeTensors(&w->values);
    napi_reject_deferred(env, w->deferred, MakeError(env, TF_INVALID_ARGUMENT, error));
    delete w;
    return promise;
  }
  napi_create_reference(env, argv[0], 1, &w->session_ref);
  napi_value name;
  napi_create_string_utf8(env, "tfs_native.run", NAPI_AUTO_LENGTH, &name);
  NAPI_OK(env, napi_create_async_work(env, nullptr, name, RunExecute, RunComplete, w, &w->work));
  NAPI_OK(env, napi_queue_async_work(env, w->work));
  return promise;
}

// --- devices, close, version --------------------------------------------------------------

// The devices of a session as [{ name, type, memory }].
napi_value DeviceArray(napi_env env, TF_Session* session) {
  TF_Status* status = TF_NewStatus();
  TF_DeviceList* list = TF_SessionListDevices(session, status);
  napi_value arr;
  napi_create_array(env, &arr);
  if (TF_GetCode(status) == TF_OK && list) {
    const int n = TF_DeviceListCount(list);
    for (int i = 0; i < n; ++i) {
      napi_value obj, name, type, memory;
      napi_create_object(env, &obj);
      napi_create_string_utf8(env, TF_DeviceListName(list, i, status), NAPI_AUTO_LENGTH, &name);
      napi_create_string_utf8(env, TF_DeviceListType(list, i, status), NAPI_AUTO_LENGTH, &type);
      napi_create_int64(env, TF_DeviceListMemoryBytes(list, i, status), &memory);
      napi_set_named_property(env, obj, "name", name);
      napi_set_named_property(env, obj, "type", type);
      napi_set_named_property(env, obj, "memory", memory);
      napi_set_element(env, arr, i, obj);
    }
  }
  if (list) TF_DeleteDeviceList(list);
  TF_DeleteStatus(status);
  return arr;
}

napi_value Devices(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Session* s = argc == 1 ? GetSession(env, argv[0]) : nullptr;
  if (s == nullptr) {
    napi_throw_type_error(env, nullptr, "devices(session): no open session");
    return nullptr;
  }
  return DeviceArray(env, s->session);
}

// The devices a new session on an empty graph sees (what `tfs native install` reports).
napi_value LocalDevices(napi_env env, napi_callback_info) {
  TF_Status* status = TF_NewStatus();
  TF_Graph* graph = TF_NewGraph();
  TF_SessionOptions* options = TF_NewSessionOptions();
  TF_Session* session = TF_NewSession(graph, options, status);
  napi_value arr = nullptr;
  if (TF_GetCode(status) == TF_OK && session) {
    arr = DeviceArray(env, session);
    TF_CloseSession(session, status);
    TF_DeleteSession(session, status);
  } else {
    napi_throw(env, MakeError(env, TF_GetCode(status), TF_Message(status)));
  }
  TF_DeleteSessionOptions(options);
  TF_DeleteGraph(graph);
  TF_DeleteStatus(status);
  return arr;
}

napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  void* p = nullptr;
  if (argc == 1 && napi_get_value_external(env, argv[0], &p) == napi_ok && p != nullptr) {
    Session* s = static_cast<Session*>(p);
    TF_Status* status = TF_NewStatus();
    if (s->session) {
      TF_CloseSession(s->session, status);
      TF_DeleteSession(s->session, status);
      s->session = nullptr;
    }
    if (s->graph) {
      TF_DeleteGraph(s->graph);
      s->graph = nullptr;
    }
    TF_DeleteStatus(status);
  }
  return Undefined(env);
}

napi_value Version(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_string_utf8(env, TF_Version(), NAPI_AUTO_LENGTH, &v);
  return v;
}

}  // namespace

NAPI_MODULE_INIT() {
  // What this build can do beyond the first addon's API (src/native/addon.ts checks it).
  napi_value features, restore;
  napi_create_array_with_length(env, 1, &features);
  napi_create_string_utf8(env, "restoreCaptured", NAPI_AUTO_LENGTH, &restore);
  napi_set_element(env, features, 0, restore);
  napi_property_descriptor props[] = {
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"features", nullptr, nullptr, nullptr, nullptr, features, napi_enumerable, nullptr},
      {"load", nullptr, Load, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"run", nullptr, Run, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"devices", nullptr, Devices, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"localDevices", nullptr, LocalDevices, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
