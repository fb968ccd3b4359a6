import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument, parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { maxOf } from '../core/arrays.js';
import { SegmintError } from '../core/errors.js';
import { closest } from '../core/nearest.js';
import { redactSecrets, redactWebhookUrl } from '../core/redact.js';
import { Recipe } from './recipe.js';

export interface LoadedRecipe {
  recipe: Recipe;
  /** Folder relative paths in the recipe are resolved from. */
  baseDir: string;
  /** sha256 of the resolved recipe (canonical JSON), first 16 hex digits. */
  hash: string;
  file: string | null;
}

/** Canonical JSON: object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }
    return v;
  });
}

export const hashText = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  return (
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') ||
    '(top level)'
  );
}

const valueAt = (raw: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (node, key) =>
      node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined,
    raw,
  );

type Issue = z.core.$ZodIssue;

/**
 * The issues to report: a union that failed (`k: 4` or `k: { min, max, select }`) reports the
 * branch that got furthest into the value (the deepest issue), not "Invalid input".
 */
function flatten(
  issues: readonly Issue[],
  base: readonly PropertyKey[] = [],
): { path: PropertyKey[]; issue: Issue }[] {
  return issues.flatMap((i) => {
    const path = [...base, ...i.path];
    if (i.code === 'invalid_union' && i.errors.length) {
      const branches = i.errors.map((b) => flatten(b, path));
      const depth = (b: { path: PropertyKey[] }[]) => maxOf(b.map((x) => x.path.length));
      const best = branches.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      if (depth(best) > path.length) return best;
      // All at the same depth: the branch of the value's own type (a misspelt name against the
      // names' list, not "expected object") says what is wrong.
      const typed = branches.filter((b) => b.some((x) => x.issue.code !== 'invalid_type'));
      if (typed.length === 1) return typed[0];
    }
    return [{ path, issue: i }];
  });
}

/**
 * Turns zod issues into one RECIPE_INVALID error listing each path and what is wrong there; a value
 * outside a list of options names the options and the nearest one ("did you mean silhouette?").
 */
export function recipeError(
  error: z.ZodError,
  file: string | null,
  prefix = '',
  raw?: unknown,
): SegmintError {
  const issues = flatten(error.issues).map(({ path: p, issue: i }) => {
    const path = formatIssuePath([...(prefix ? [prefix] : []), ...p]);
    let msg = i.message;
    if (i.code === 'unrecognized_keys') msg = `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    // A required key left out (or left empty, as `sources:` with nothing under it reads).
    if (i.code === 'invalid_type' && (valueAt(raw, p) === undefined || valueAt(raw, p) === null))
      msg =
        path === 'sources'
          ? 'no sources: name at least one data file, e.g. sources: { orders: { kind: transactions, path: orders.csv, roles: { customer: ..., time: ..., price: ... } } } (segmint init <files> writes this part)'
          : `required, and missing (expected ${i.expected})`;
    if (i.code === 'invalid_value') {
      const allowed = i.values.map(String);
      const given = valueAt(raw, p);
      const near = typeof given === 'string' ? closest(given, allowed) : undefined;
      msg = `${given === undefined ? 'the value' : JSON.stringify(given)} is not one of ${allowed.join(', ')}${near ? `; did you mean "${near}"?` : ''}`;
    }
    return { path, message: msg };
  });
  const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
  return new SegmintError('RECIPE_INVALID', `The recipe${file ? ` ${file}` : ''} is not valid:\n${lines}`, {
    where: { ...(file ? { file } : {}), path: issues[0]?.path ?? '' },
    details: { issues },
  });
}

/** Parses a --set value as a YAML scalar or flow collection: 4 -> number, true -> boolean, [a,b] -> list. */
export function parseSetValue(raw: string): unknown {
  try {
    return parseYaml(raw);
  } catch {
    return raw;
  }
}

/** Applies `key.path=value` overrides onto a raw (unvalidated) recipe object, in place. */
export function applySets(raw: Record<string, unknown>, sets: readonly string[]): void {
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0)
      throw new SegmintError('SET_INVALID', `--set "${s}" has no "=": write --set key.path=value.`);
    const path = s.slice(0, eq).trim().split('.');
    if (path.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
      throw new SegmintError('SET_INVALID', `--set "${s}": the key path "${s.slice(0, eq)}" is not valid.`);
    }
    let node: Record<string, unknown> = raw;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined || next === null || typeof next !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = parseSetValue(s.slice(eq + 1));
  }
}

/** Validates a raw recipe object. */
export function validateRecipe(raw: unknown, file: string | null = null): Recipe {
  const r = Recipe.safeParse(raw);
  if (!r.success) throw recipeError(r.error, file, '', raw);
  const recipe = r.data;
  if (typeof recipe.cluster.k === 'object' && recipe.cluster.k.min > recipe.cluster.k.max) {
    throw new SegmintError(
      'RECIPE_INVALID',
      `cluster.k.min (${recipe.cluster.k.min}) is larger than cluster.k.max (${recipe.cluster.k.max}).`,
      {
        where: { path: 'cluster.k', ...(file ? { file } : {}) },
      },
    );
  }
  for (const [name, src] of Object.entries(recipe.sources)) {
    for (const j of src.join) {
      if (!recipe.sources[j.source]) {
        throw new SegmintError(
          'RECIPE_INVALID',
          `sources.${name}.join names the source "${j.source}", which the recipe does not declare.`,
          {
            where: { path: `sources.${name}.join`, ...(file ? { file } : {}) },
            hint: `Declare it under sources, or use one of: ${Object.keys(recipe.sources).join(', ')}.`,
          },
        );
      }
    }
  }
  return recipe;
}

/** Reads, parses, overrides and validates a recipe file (YAML or JSON). */
export function loadRecipe(file: string, sets: readonly string[] = []): LoadedRecipe {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    throw new SegmintError('RECIPE_NOT_FOUND', `Cannot read the recipe file ${file}.`, { where: { file } });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    throw new SegmintError(
      'RECIPE_PARSE',
      `The recipe ${file} is not valid YAML/JSON: ${e.message.split('\n')[0]}`,
      {
        where: { file, ...(line ? { line } : {}) },
      },
    );
  }
  // Aliases are limited (a "billion laughs" recipe would expand without end): past the limit the
  // yaml library throws, which is a RECIPE_PARSE error like any other.
  let raw: Record<string, unknown>;
  try {
    raw = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new SegmintError('RECIPE_PARSE', `The recipe ${file} cannot be read: ${(e as Error).message}`, {
      where: { file },
      hint: 'Use fewer YAML aliases (at most 100), or write the values out.',
    });
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SegmintError(
      'RECIPE_INVALID',
      `The recipe ${file} must be a mapping of keys (sources, features, ...).`,
      { where: { file } },
    );
  }
  // A section left with only comments (`window:` then commented lines) parses as null: treat it as absent.
  for (const k of Object.keys(raw)) if (raw[k] === null) delete raw[k];
  applySets(raw, sets);
  const recipe = validateRecipe(raw, file);
  return { recipe, baseDir: dirname(abs), hash: hashText(canonicalJson(recipe)), file: abs };
}

/** Builds a LoadedRecipe from an in-memory object (library use and tests). */
export function recipeFromObject(raw: unknown, baseDir: string, sets: readonly string[] = []): LoadedRecipe {
  const copy = structuredClone(raw) as Record<string, unknown>;
  applySets(copy, sets);
  const recipe = validateRecipe(copy);
  return { recipe, baseDir: resolve(baseDir), hash: hashText(canonicalJson(recipe)), file: null };
}

/**
 * The recipe as it may be written to files: connection URLs lose their passwords (the one
 * redaction, core/redact), and the drift webhook shows only its host.
 */
export function redactRecipe(recipe: unknown): unknown {
  const out = JSON.parse(canonicalJson(recipe), (key, value) =>
    key === 'url' && typeof value === 'string' ? redactSecrets(value) : value,
  );
  const hook = out?.drift?.webhook;
  if (hook && typeof hook.url === 'string') hook.url = redactWebhookUrl(hook.url);
  return out;
}
