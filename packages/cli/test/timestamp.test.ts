import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../src/timestamp';

describe('parseTimestamp', () => {
  it('reads the NAB layout as UTC, with or without a fraction', () => {
    expect(parseTimestamp('2014-04-01 00:00:00')).toBe(Date.UTC(2014, 3, 1));
    expect(parseTimestamp('2014-04-10 11:50:00.000000')).toBe(Date.UTC(2014, 3, 10, 11, 50));
    expect(parseTimestamp('2014-04-10 11:50:00.25')).toBe(Date.UTC(2014, 3, 10, 11, 50, 0, 250));
    expect(parseTimestamp('  2014-04-01 00:00:00 ')).toBe(Date.UTC(2014, 3, 1));
  });

  it('reads ISO 8601 dates and date-times, UTC unless an offset is given', () => {
    expect(parseTimestamp('2014-04-01')).toBe(Date.UTC(2014, 3, 1));
    expect(parseTimestamp('2014-04-01T12:30')).toBe(Date.UTC(2014, 3, 1, 12, 30));
    expect(parseTimestamp('2014-04-01T12:30:15Z')).toBe(Date.UTC(2014, 3, 1, 12, 30, 15));
    expect(parseTimestamp('2014-04-01T12:30:15.123z')).toBe(Date.UTC(2014, 3, 1, 12, 30, 15, 123));
    expect(parseTimestamp('2014-04-01T12:30:15+02:00')).toBe(Date.UTC(2014, 3, 1, 10, 30, 15));
    expect(parseTimestamp('2014-04-01T12:30:15-0130')).toBe(Date.UTC(2014, 3, 1, 14, 0, 15));
    expect(parseTimestamp('2014-04-01T12:30:15+05')).toBe(Date.UTC(2014, 3, 1, 7, 30, 15));
    expect(parseTimestamp('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestamp('0050-01-01T00:00:00Z')).toBe(new Date('0050-01-01T00:00:00Z').getTime());
  });

  it('agrees with Date.parse on the NAB layout across years, months and days', () => {
    for (let ms = Date.UTC(1899, 11, 31, 23, 59, 59); ms < Date.UTC(2101, 0, 1); ms += 86_400_000 * 37 + 3_601_000) {
      const iso = new Date(ms).toISOString();
      const nab = iso.slice(0, 19).replace('T', ' ');
      expect(parseTimestamp(nab), nab).toBe(Date.parse(`${iso.slice(0, 19)}Z`));
      expect(parseTimestamp(iso.slice(0, 19)), iso).toBe(Date.parse(`${iso.slice(0, 19)}Z`));
    }
    expect(parseTimestamp('0099-12-31 23:59:59')).toBe(Date.parse('0099-12-31T23:59:59Z'));
  });

  it('reads epoch milliseconds', () => {
    expect(parseTimestamp('1396310400000')).toBe(1396310400000);
    expect(parseTimestamp('0')).toBe(0);
    expect(parseTimestamp('-1000')).toBe(-1000);
    expect(parseTimestamp('1396310400000.5')).toBe(1396310400000.5);
  });

  it('refuses anything else, including impossible dates', () => {
    for (const bad of ['', '  ', 'yesterday', '2014-02-30 00:00:00', '2023-02-29', '2014-13-01', '2014-04-01 24:00:00', '2014-04-01 10:60:00', '2014-04-01T10:00:00+25:00', '2014/04/01', '2014-04-01 0a:00:00', '2014-04-01_00:00:00', '2014-04-01 00:00:0 ', '1e12', '0x10', '2014-04-01T10:00:00 PST', 'NaN']) {
      expect(parseTimestamp(bad), bad).toBeUndefined();
    }
  });
});
