import { ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';

/** One council member: a catalogue chat model at a temperature, with a weight (weighted-fusion). */
export interface CouncilMember {
  /** Unique label in this council: `model@temperature` (`#2`… when the same pair is listed twice). */
  id: string;
  model: string;
  temperature: number;
  weight: number;
}

/** Without COUNCIL_MEMBERS: three members on the default model at these temperatures. */
export const DEFAULT_TEMPERATURES = [0.2, 0.7, 1.0] as const;

const ENTRY = /^([A-Za-z0-9_.:/-]{1,128})(?:@([0-9]+(?:\.[0-9]+)?))?(?:\*([0-9]+(?:\.[0-9]+)?))?$/;

/**
 * Parses COUNCIL_MEMBERS: comma-separated `model[@temperature][*weight]` entries naming catalogue
 * models, e.g. `small@0.2,small@0.9,large*2`. Temperature 0…2 (the model's default when omitted is
 * replaced by 0.7), weight > 0 (default 1). Throws naming the bad entry.
 */
export function parseMembers(raw: string): CouncilMember[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('COUNCIL_MEMBERS lists no member');
  if (entries.length > 16) throw new Error(`COUNCIL_MEMBERS lists ${entries.length} members (at most 16)`);
  return label(
    entries.map((entry) => {
      const m = ENTRY.exec(entry);
      if (!m) throw new Error(`COUNCIL_MEMBERS entry '${entry}' is not model[@temperature][*weight]`);
      const temperature = m[2] === undefined ? 0.7 : Number(m[2]);
      const weight = m[3] === undefined ? 1 : Number(m[3]);
      if (!(temperature >= 0 && temperature <= 2)) throw new Error(`COUNCIL_MEMBERS entry '${entry}': temperature must be within 0…2`);
      if (!(weight > 0 && weight <= 100)) throw new Error(`COUNCIL_MEMBERS entry '${entry}': weight must be > 0 and ≤ 100`);
      return { model: m[1], temperature, weight };
    }),
  );
}

/** The default council: three members on `model` at 0.2, 0.7 and 1.0. */
export function defaultMembers(model: string): CouncilMember[] {
  return label(DEFAULT_TEMPERATURES.map((temperature) => ({ model, temperature, weight: 1 })));
}

function label(members: Omit<CouncilMember, 'id'>[]): CouncilMember[] {
  const seen = new Map<string, number>();
  return members.map((m) => {
    const base = `${m.model}@${m.temperature}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { ...m, id: n === 1 ? base : `${base}#${n}` };
  });
}

/** class-validator check of COUNCIL_MEMBERS' syntax (whether the names are in the catalogue is checked when the council starts). */
@ValidatorConstraint({ name: 'councilMembers', async: false })
export class IsCouncilMembers implements ValidatorConstraintInterface {
  private problem = '';
  validate(value: unknown): boolean {
    if (typeof value !== 'string') {
      this.problem = 'must be a string';
      return false;
    }
    try {
      parseMembers(value);
      return true;
    } catch (err) {
      this.problem = (err as Error).message;
      return false;
    }
  }
  defaultMessage(): string {
    return this.problem || 'COUNCIL_MEMBERS must be comma-separated model[@temperature][*weight] entries';
  }
}
