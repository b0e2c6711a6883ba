/**
 * Topology files: YAML (the `yaml` package, YAML 1.2 core schema) → `TopologySpec`, with every
 * problem reported once as `FILE:LINE:COL: path: message` — the position of the YAML node the
 * problem is about, found from the issue's path with the document's node ranges and a LineCounter.
 */
import { readFileSync } from "node:fs";
import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from "yaml";
import { resolveTopology } from "./presets.js";
import { kebab, parseTopologyInput } from "./schema.js";
import { formatPath, TopologyError, type TopologyIssue, type TopologySpec } from "./spec.js";

/** Where a path points in the document: the deepest node the path reaches (offset into the text). */
function locate(doc: ReturnType<typeof parseDocument>, issue: TopologyIssue): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  const path = issue.path;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const want = typeof seg === "number" ? String(seg) : seg;
      const pair = node.items.find((it) => {
        const k = isScalar(it.key) ? String(it.key.value) : String(it.key);
        return k === want || k === kebab(want);
      });
      if (!pair || !isPair(pair)) break;
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      if (last && issue.atKey && key?.range) return key.range[0];
      if (value?.range) {
        offset = value.range[0];
        node = value;
      } else {
        if (key?.range) offset = key.range[0];
        break;
      }
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as Node | undefined;
      if (!item?.range) break;
      offset = item.range[0];
      node = item;
    } else break;
  }
  return offset;
}

/** The YAML parser's message without its own position suffix and source excerpt. */
function yamlMessage(m: string): string {
  return m.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

/**
 * Parses and validates a topology file's text. Everything is checked — the schema (types, units,
 * unknown keys), then presets and references — and the first problem is thrown as a TopologyError
 * whose message is `FILE:LINE:COL: path: message`.
 */
export function parseTopologyYaml(text: string, file = "<topology>"): TopologySpec {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lc.linePos(e.pos[0]);
    throw new TopologyError(
      `${file}:${pos.line}:${pos.col}: ${yamlMessage(e.message)}`,
      [],
      file,
      pos.line,
      pos.col,
    );
  }
  // A mapping or list used as a key (`[a]: 1`, `{ ? {x} }`): yaml would stringify it with a process
  // warning on stderr; no topology field has such a key, so it is an error at the key.
  let badKey: number | null = null;
  visit(doc, {
    Pair(_, pair) {
      const k = pair.key;
      const key = isAlias(k) ? k.resolve(doc) : k;
      if (isCollection(key)) {
        badKey = (isAlias(k) ? k.range?.[0] : key.range?.[0]) ?? 0;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (badKey !== null) {
    const pos = lc.linePos(badKey);
    throw new TopologyError(
      `${file}:${pos.line}:${pos.col}: a mapping or list cannot be a key`,
      [],
      file,
      pos.line,
      pos.col,
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new TopologyError(`${file}:1:1: ${(e as Error).message}`, [], file, 1, 1);
  }
  const base = file.replace(/^.*[\\/]/, "").replace(/\.ya?ml$/i, "");
  const parsed = parseTopologyInput(raw, { fallbackName: base || "topology" });
  const issues = parsed.spec === null ? parsed.issues : resolveTopology(parsed.spec).issues;
  if (issues.length > 0) {
    const first = issues[0];
    const pos = lc.linePos(locate(doc, first));
    const where = formatPath(first.path.map((p) => (typeof p === "string" ? kebabField(p, first.path) : p)));
    throw new TopologyError(
      `${file}:${pos.line}:${pos.col}: ${where ? `${where}: ` : ""}${first.message}`,
      issues,
      file,
      pos.line,
      pos.col,
    );
  }
  return parsed.spec as TopologySpec;
}

/** Field names are shown as the file spells them (kebab-case); user names (VMs, networks) as they are. */
function kebabField(seg: string, _path: readonly (string | number)[]): string {
  return FIELD_NAMES.has(seg) ? kebab(seg) : seg;
}

/** camelCase field names of the spec that the file writes in kebab-case. */
const FIELD_NAMES = new Set([
  "portForwards",
  "perVm",
  "maxFlows",
  "hostPort",
  "udpEcho",
  "linkDown",
  "linkUp",
]);

/** Reads and parses a topology file. File errors (missing, unreadable) are thrown as they come (errno). */
export function loadTopologyFile(path: string): TopologySpec {
  return parseTopologyYaml(readFileSync(path, "utf8"), path);
}

/** Validates a spec made in code (the builder, a generator): throws TopologyError naming the path. */
export function checkTopology(spec: TopologySpec): TopologySpec {
  const parsed = parseTopologyInput(spec, { typed: true });
  const issues = parsed.spec === null ? parsed.issues : resolveTopology(parsed.spec).issues;
  if (issues.length > 0) {
    const i = issues[0];
    throw new TopologyError(`${spec.name}: ${formatPath(i.path)}: ${i.message}`, issues);
  }
  return parsed.spec as TopologySpec;
}
