const { parse, stringify } = require('../src');

describe('parse', () => {
  test('parses pairs', () => {
    expect(parse('a=1&b=2')).toEqual({ a: '1', b: '2' });
  });
  test('ignores a leading question mark', () => {
    expect(parse('?a=1')).toEqual({ a: '1' });
  });
  test('decodes percent escapes', () => {
    expect(parse('q=a%20b')).toEqual({ q: 'a b' });
  });
});

describe('stringify', () => {
  test('builds pairs', () => {
    expect(stringify({ a: '1', b: 'x y' })).toBe('a=1&b=x%20y');
  });
});
