import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../src/lib/bounded-map';

describe('BoundedMap', () => {
  it('keeps up to its bound, and empties itself when a new key would pass it', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    expect([...map]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    map.set('b', 3); // an existing key never empties it
    expect(map.size).toBe(2);
    map.set('c', 4);
    expect([...map]).toEqual([['c', 4]]);
  });

  it('getOrSet makes a value once and keeps it', () => {
    const map = new BoundedMap<string, object>(4);
    let made = 0;
    const make = () => ({ made: ++made });
    const first = map.getOrSet('k', make);
    expect(map.getOrSet('k', make)).toBe(first);
    expect(made).toBe(1);
  });
});

describe('BoundedMap.getOrStart', () => {
  it('starts the work once and shares it; a failure is forgotten, so the next caller starts again', async () => {
    const map = new BoundedMap<string, Promise<number>>(4);
    let started = 0;
    const failing = () => {
      started += 1;
      return Promise.reject(new Error('down'));
    };
    const first = map.getOrStart('k', failing);
    expect(map.getOrStart('k', failing)).toBe(first);
    await expect(first).rejects.toThrow('down');
    expect(map.has('k')).toBe(false);
    const working = map.getOrStart('k', async () => {
      started += 1;
      return 7;
    });
    expect(await working).toBe(7);
    expect(await map.getOrStart('k', failing)).toBe(7);
    expect(started).toBe(2);
  });
});
