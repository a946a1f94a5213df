const data = JSON.parse(document.getElementById('run-data').textContent);
const list = document.getElementById('task-list'), view = document.getElementById('trajectory');
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text; return e; }
function verdict(v) { return el('span', 'verdict ' + (v === 'OK' ? 'ok' : 'bad'), v || '-'); }
function show(taskId) {
  view.replaceChildren(el('h2', '', taskId));
  for (const li of list.children) li.classList.toggle('selected', li.dataset.task === taskId);
  for (const episode of data.tasks[taskId]) {
    const box = el('section', 'episode');
    const head = el('h3', '', 'sample ' + episode.sample + ' ');
    head.append(verdict(episode.passed ? 'OK' : 'FAILED')); box.append(head);
    for (const turn of episode.turns) {
      const t = el('div', 'turn'); t.dataset.turn = turn.turn;
      const title = el('h4', '', 'turn ' + turn.turn + ' · public ');
      title.append(verdict(turn.public_verdict), document.createTextNode(' · hidden '), verdict(turn.hidden_verdict));
      t.append(title);
      const asked = turn.messages.filter(m => m.role === 'user').slice(-1)[0];
      const prompt = el('details', 'prompt'); prompt.append(el('summary', '', 'prompt'), el('pre', '', asked ? asked.content : ''));
      t.append(prompt, el('div', 'label', 'reply'), el('pre', 'reply', turn.reply));
      if (turn.code !== null) { t.append(el('div', 'label', 'extracted code'), el('pre', 'code', turn.code)); }
      const tests = (turn.public.tests || []);
      if (tests.length) {
        const table = el('table', 'tests');
        const header = el('tr'); ['test', 'verdict', 'expected', 'got'].forEach(h => header.append(el('th', '', h)));
        table.append(header);
        for (const r of tests) { const row = el('tr'); row.append(el('td', '', r.input)); const v = el('td'); v.append(verdict(r.verdict));
          row.append(v, el('td', '', r.expected), el('td', '', r.got || r.stderr)); table.append(row); }
        t.append(table);
      }
      if (turn.feedback) { t.append(el('div', 'label', 'feedback'), el('pre', 'feedback', turn.feedback)); }
      box.append(t);
    }
    view.append(box);
  }
}
for (const taskId of Object.keys(data.tasks)) {
  const li = el('li', '', taskId); li.dataset.task = taskId;
  li.prepend(verdict(data.tasks[taskId].some(e => e.passed) ? 'OK' : 'X'), document.createTextNode(' '));
  li.onclick = () => { location.hash = encodeURIComponent(taskId); show(taskId); };
  list.append(li);
}
const first = decodeURIComponent(location.hash.slice(1)) || Object.keys(data.tasks)[0];
if (first && data.tasks[first]) show(first);
