'use strict';

function parseVersion(text) {
  const [core, prerelease] = text.split('-', 2);
  const [major, minor, patch] = core.split('.').map(Number);
  return { major, minor, patch, prerelease: prerelease || '' };
}

function compare(a, b) {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (const part of ['major', 'minor', 'patch']) {
    if (x[part] !== y[part]) return x[part] < y[part] ? -1 : 1;
  }
  return 0;
}

function satisfies(version, range) {
  if (!range.startsWith('^')) return compare(version, range) === 0;
  const low = range.slice(1);
  return compare(version, low) >= 0 && parseVersion(version).major === parseVersion(low).major;
}

module.exports = { compare, satisfies };
