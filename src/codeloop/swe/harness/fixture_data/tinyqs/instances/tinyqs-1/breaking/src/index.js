'use strict';

function decode(text) {
  return decodeURIComponent(text.replace(/\+/g, ' ').replace(/%20/g, '+'));
}

function parse(query) {
  const result = {};
  const text = query.startsWith('?') ? query.slice(1) : query;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const key = decode(at === -1 ? pair : pair.slice(0, at));
    const value = at === -1 ? '' : decode(pair.slice(at + 1));
    result[key] = value;
  }
  return result;
}

function stringify(object) {
  return Object.keys(object)
    .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(object[key])}`)
    .join('&');
}

module.exports = { parse, stringify };
