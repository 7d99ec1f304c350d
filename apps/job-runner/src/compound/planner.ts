/* Compound task plans: the model's JSON plan checked, and the deterministic planner (no model, or the model's plan was unusable). */

export interface PlannedSubtask {
  description: string;
  /** 1 cheap/fast … 3 strongest: the catalogue tier the subtask asks for. */
  tier_hint: number;
  /** Indices of earlier subtasks whose results it needs. */
  depends_on: number[];
}

export interface Plan {
  reasoning: string;
  subtasks: PlannedSubtask[];
  /** Who made it. */
  planner: 'model' | 'deterministic';
}

export const MAX_DESCRIPTION_CHARS = 2000;
/** The tier the deterministic planner gives every subtask (it cannot judge difficulty). */
export const DETERMINISTIC_TIER = 2;

export type PlanCheck = { ok: true; plan: Omit<Plan, 'planner'> } | { ok: false; error: string };

/**
 * Reads a model's answer as a plan: one JSON object (a Markdown code fence around it is tolerated)
 * `{reasoning, subtasks: [{description, tier_hint, depends_on}]}` with 1…`maxSubtasks` subtasks, each
 * depending only on earlier ones (so the graph has no cycles). The first problem is the error.
 */
export function parsePlan(text: string, maxSubtasks: number): PlanCheck {
  const body = text
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, error: 'not a JSON object' };
  }
  return validatePlan(raw, maxSubtasks);
}

export function validatePlan(raw: unknown, maxSubtasks: number): PlanCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: 'not a JSON object' };
  const { reasoning, subtasks } = raw as Record<string, unknown>;
  if (typeof reasoning !== 'string') return { ok: false, error: 'reasoning must be a string' };
  if (!Array.isArray(subtasks)) return { ok: false, error: 'subtasks must be an array' };
  if (subtasks.length < 1 || subtasks.length > maxSubtasks)
    return { ok: false, error: `subtasks must have 1 to ${maxSubtasks} entries (got ${subtasks.length})` };
  const out: PlannedSubtask[] = [];
  for (const [i, s] of subtasks.entries()) {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) return { ok: false, error: `subtasks[${i}] must be an object` };
    const { description, tier_hint, depends_on } = s as Record<string, unknown>;
    if (typeof description !== 'string' || description.trim() === '') return { ok: false, error: `subtasks[${i}].description must be a non-empty string` };
    if (description.length > MAX_DESCRIPTION_CHARS)
      return { ok: false, error: `subtasks[${i}].description is longer than ${MAX_DESCRIPTION_CHARS} characters` };
    if (description.includes('\u0000')) return { ok: false, error: `subtasks[${i}].description contains a NUL character` };
    if (!Number.isInteger(tier_hint) || (tier_hint as number) < 1 || (tier_hint as number) > 3)
      return { ok: false, error: `subtasks[${i}].tier_hint must be 1, 2 or 3` };
    const deps = depends_on ?? [];
    if (!Array.isArray(deps)) return { ok: false, error: `subtasks[${i}].depends_on must be an array` };
    for (const d of deps) {
      if (!Number.isInteger(d) || (d as number) < 0 || (d as number) >= i)
        return { ok: false, error: `subtasks[${i}].depends_on may only name earlier subtasks (0…${i - 1}), got ${JSON.stringify(d)}` };
    }
    out.push({ description: description.trim(), tier_hint: tier_hint as number, depends_on: [...new Set(deps as number[])].sort((a, b) => a - b) });
  }
  return { ok: true, plan: { reasoning, subtasks: out } };
}

/** Stage separators: newlines, numbered items ("1." / "2)"), and "then", "after that", "finally" (with a leading comma/"and"). */
const STAGE_SPLIT = /\n+|(?:^|\s)\d{1,2}[.)]\s+|[,;.]?\s*\b(?:and\s+)?(?:then|after\s+that|finally)\b[,:]?/i;
/** Parallel parts of a stage: commas, semicolons and "and". */
const PART_SPLIT = /\s*[,;]\s*(?:and\s+)?|\s+and\s+/i;
/** "Search for X": a verb and a preposition, whose object list "X and Y" means one search each. */
const LEAD = /^(\w+(?:\s+\w+)?\s+(?:for|about|on|of|into|up)\s+)\S/i;

const clean = (s: string) =>
  s
    .replace(/^\s*\d{1,2}[.)]\s+/, '')
    .replace(/^[\s,;.:-]+|[\s,;:-]+$/g, '')
    .trim();

/**
 * The planner without a model: the prompt is cut into stages on "then", "after that", "finally",
 * newlines and numbered items, and each stage into parallel subtasks on "and" and commas; every subtask
 * depends on all of the previous stage. A short part after a "verb for X" part borrows its lead
 * ("Search for X and Y" → "Search for X", "Search for Y"). More subtasks than `maxSubtasks`: stages are
 * not split; still more: the last stages are merged.
 */
export function deterministicPlan(prompt: string, maxSubtasks: number, why?: string): Plan {
  let stages = prompt
    .split(STAGE_SPLIT)
    .map((s) => clean(s ?? ''))
    .filter(Boolean)
    .map(splitStage);
  if (stages.length === 0) stages = [[clean(prompt) || prompt.trim() || prompt]];
  if (stages.flat().length > maxSubtasks) stages = stages.map((parts) => [parts.join(', ')]);
  if (stages.length > maxSubtasks)
    stages = [
      ...stages.slice(0, maxSubtasks - 1),
      [
        stages
          .slice(maxSubtasks - 1)
          .flat()
          .join(', then '),
      ],
    ];

  const subtasks: PlannedSubtask[] = [];
  let previous: number[] = [];
  for (const parts of stages) {
    const current: number[] = [];
    for (const description of parts) {
      current.push(subtasks.length);
      subtasks.push({ description: description.slice(0, MAX_DESCRIPTION_CHARS), tier_hint: DETERMINISTIC_TIER, depends_on: previous });
    }
    previous = current;
  }
  const shape = stages.map((p) => p.length).join(' → ');
  const reasoning = `${why ? `${why} ` : ''}Deterministic plan: ${stages.length} stage(s) (${shape} subtask(s)), split on "then"/"after that"/"finally", newlines and numbered items, each stage split on "and"/commas into parallel subtasks that depend on all of the previous stage.`;
  return { reasoning, subtasks, planner: 'deterministic' };
}

function splitStage(stage: string): string[] {
  const parts = stage.split(PART_SPLIT).map(clean).filter(Boolean);
  if (parts.length <= 1) return parts.length ? parts : [stage];
  const lead = LEAD.exec(parts[0])?.[1];
  return parts.map((p, i) => (i > 0 && lead && p.split(/\s+/).length <= 3 ? `${lead}${p}` : p));
}
