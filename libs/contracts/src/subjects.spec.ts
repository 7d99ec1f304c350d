import { describe, expect, it } from '@jest/globals';
import { AddressedChecks, EventChecks, Subjects, subjectFor } from './subjects';

/** Every leaf of a subject tree with its key path. */
function leaves(tree: object, path: string[] = []): [string, string][] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'string' ? [[[...path, k].join('.'), v] as [string, string]] : leaves(v as object, [...path, k]),
  );
}

describe('Subjects', () => {
  it('names every subject by the dotted path of its key (one scheme for every domain)', () => {
    const all = leaves(Subjects);
    expect(all.length).toBeGreaterThan(30);
    for (const [path, subject] of all) expect(subject).toBe(path);
  });

  it('has a shape check for every published and addressed subject', () => {
    expect(Object.keys(EventChecks).sort()).toEqual([Subjects.jobs.abort, Subjects.jobs.live].sort());
    expect(Object.keys(AddressedChecks)).toEqual([Subjects.coordinator.deliver]);
  });

  it('adds the id as one token, neutralising characters NATS gives a meaning to', () => {
    expect(subjectFor(Subjects.jobs.live, 'abc_1-2')).toBe('jobs.live.abc_1-2');
    expect(subjectFor(Subjects.coordinator.deliver, 'host.a:b@c >*')).toBe('coordinator.deliver.host_a_b_c___');
    expect(subjectFor(Subjects.jobs.abort, '*')).toBe('jobs.abort.*');
  });

  it('checks live events cheaply but strictly enough to drop garbage', () => {
    const check = EventChecks[Subjects.jobs.live];
    const e = { seq: 1, type: 'job.status', timestamp: new Date().toISOString(), data: { status: 'running' } };
    expect(check(e)).toBe(true);
    expect(check([e, { ...e, seq: 2 }])).toBe(true);
    for (const bad of [null, 'x', 1, { ...e, seq: '1' }, { ...e, data: null }, [e, { seq: 2 }], { type: 'x' }]) expect(check(bad)).toBe(false);
    expect(EventChecks[Subjects.jobs.abort]({ job_id: 'a' })).toBe(true);
    expect(EventChecks[Subjects.jobs.abort]({ job_id: 1 })).toBe(false);
  });
});
