/**
 * YAML rendering of generated objects: one document per object, block literals for the
 * config files (so the ConfigMap shows them as written), no line folding, and a header
 * comment. Key order is the order the builders create (apiVersion, kind, metadata, spec).
 */
import YAML from 'yaml';

const OPTIONS = { lineWidth: 0, minContentWidth: 0 } as const;

/** One YAML document with an optional comment block before it. */
export function toYamlDocument(value: unknown, comment?: string): string {
  const doc = new YAML.Document(value);
  if (comment !== undefined && comment !== '') doc.commentBefore = comment.split('\n').map((l) => (l === '' ? '' : ` ${l}`)).join('\n');
  return doc.toString(OPTIONS);
}

/** A multi-document stream (`---` between documents). */
export function toYamlStream(documents: readonly string[]): string {
  return documents.map((d) => (d.startsWith('---') ? d : `---\n${d}`)).join('');
}

/** Parses every document of a stream (tests and round-trip checks). */
export function parseYamlStream(text: string): unknown[] {
  return YAML.parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(`invalid YAML: ${d.errors[0]!.message}`);
    return d.toJSON() as unknown;
  });
}
