const assert = require('assert');
const { compare, satisfies } = require('../lib/semver');

describe('compare', function () {
  it('orders by major, minor and patch', function () {
    assert.strictEqual(compare('1.2.3', '1.10.0'), -1);
    assert.strictEqual(compare('2.0.0', '1.9.9'), 1);
  });
  it('finds equal versions', function () {
    assert.strictEqual(compare('1.2.3', '1.2.3'), 0);
  });
});

describe('satisfies', function () {
  it('accepts an exact version', function () {
    assert.ok(satisfies('1.2.3', '1.2.3'));
  });
  it('accepts a newer minor in a caret range', function () {
    assert.ok(satisfies('1.4.0', '^1.2.3'));
  });
});
