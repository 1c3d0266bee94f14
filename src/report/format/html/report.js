// nhiscan HTML report: filters, sorts and expands the findings embedded in the page.
// Reads only the data in #nhiscan-data; writes the DOM with textContent and attributes,
// never with HTML strings, so no value from the inventory can become markup.
// The data is gzip-compressed JSON in base64 (src/report/format/html/data.rs), inflated
// with the browser's DecompressionStream: nothing is fetched.
async function loadData() {
  const text = document.getElementById('nhiscan-data').textContent.trim();
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return JSON.parse(await new Response(stream).text());
}

loadData().then((data) => {
  'use strict';
  const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
  const PAGE = 200;
  // Columns of data.findings rows (see src/report/format/html/data.rs).
  const F = { id: 0, rule: 1, severity: 2, provider: 3, scope: 4, kind: 5, entity: 6, name: 7,
    owner: 8, ownerStatus: 9, message: 10, evidence: 11, state: 12, remediation: 13, identity: 14 };
  const STATES = ['', 'suppressed', 'baselined'];

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v; else node.setAttribute(k, v);
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  };

  const body = $('findings-body');
  const status = $('findings-status');
  const more = $('findings-more');
  const filters = {
    severity: $('filter-severity'), rule: $('filter-rule'), provider: $('filter-provider'),
    scope: $('filter-scope'), owner: $('filter-owner'), q: $('filter-q'), hidden: $('filter-hidden'),
  };
  let entity = '';
  let sortKey = 'severity';
  let sortDir = 1;
  let matching = [];
  let shown = 0;

  const rule = (f) => data.rules[f[F.rule]];
  const label = (f) => f[F.name] || f[F.entity];
  const owner = (f) => f[F.owner] || '(' + f[F.ownerStatus] + ')';

  function fill(select, values) {
    for (const v of [...new Set(values)].sort()) select.append(el('option', { value: v }, v));
  }
  fill(filters.rule, data.findings.map((f) => rule(f).id));
  fill(filters.provider, data.findings.map((f) => f[F.provider]));
  fill(filters.scope, data.findings.map((f) => f[F.scope]));
  fill(filters.owner, data.findings.map(owner));

  const keys = {
    severity: (f) => [f[F.severity], rule(f).id, label(f)],
    rule: (f) => [rule(f).id, f[F.severity], label(f)],
    entity: (f) => [label(f), f[F.severity]],
    provider: (f) => [f[F.provider], f[F.severity], label(f)],
    scope: (f) => [f[F.scope], f[F.severity], label(f)],
    owner: (f) => [owner(f), f[F.severity], label(f)],
  };
  function compare(a, b) {
    const ka = keys[sortKey](a);
    const kb = keys[sortKey](b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i] < kb[i]) return -sortDir;
      if (ka[i] > kb[i]) return sortDir;
    }
    return 0;
  }

  function matches(f) {
    const v = (name) => filters[name].value;
    if (!filters.hidden.checked && f[F.state] !== 0) return false;
    if (v('severity') && SEVERITIES[f[F.severity]] !== v('severity')) return false;
    if (v('rule') && rule(f).id !== v('rule')) return false;
    if (v('provider') && f[F.provider] !== v('provider')) return false;
    if (v('scope') && f[F.scope] !== v('scope')) return false;
    if (v('owner') && owner(f) !== v('owner')) return false;
    if (entity && f[F.entity] !== entity && f[F.identity] !== entity) return false;
    const q = v('q').trim().toLowerCase();
    if (q) {
      const text = [rule(f).id, rule(f).title, f[F.entity], f[F.name], f[F.owner], f[F.message],
        f[F.scope]].join('\n').toLowerCase();
      if (!text.includes(q)) return false;
    }
    return true;
  }

  function detail(f) {
    const r = rule(f);
    const cell = el('td', { colspan: '6' });
    cell.append(el('p', { class: 'message' }, f[F.message]));
    const facts = el('dl');
    const add = (term, value) => { if (value) facts.append(el('dt', {}, term), el('dd', {}, value)); };
    add('Finding id', f[F.id]);
    add('Entity', f[F.kind] + ' ' + f[F.entity]);
    add('Owner', owner(f));
    add('State', STATES[f[F.state]]);
    add('Frameworks', r.frameworks.join(', '));
    cell.append(facts);
    if (f[F.evidence] && Object.keys(f[F.evidence]).length) {
      cell.append(el('h4', {}, 'Evidence'), el('pre', { class: 'evidence' }, JSON.stringify(f[F.evidence], null, 2)));
    }
    // An index into the shared texts, or the text itself when filled in for this entity.
    const remediation = typeof f[F.remediation] === 'number' ? data.texts[f[F.remediation]] : f[F.remediation];
    if (remediation) {
      const code = el('pre', { class: 'remediation' }, remediation);
      const copy = el('button', { type: 'button', class: 'copy' }, 'Copy');
      copy.addEventListener('click', () => {
        const done = () => { copy.textContent = 'Copied'; };
        if (navigator.clipboard) {
          navigator.clipboard.writeText(remediation).then(done, () => select(code));
        } else {
          select(code);
        }
      });
      cell.append(el('h4', {}, 'Remediation'), copy, code);
    }
    return el('tr', { class: 'detail' }, cell);
  }

  function select(node) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function row(f) {
    const severity = SEVERITIES[f[F.severity]];
    const toggle = el('button', { type: 'button', class: 'expand', 'aria-expanded': 'false' },
      el('span', { class: 'sev sev-' + severity }, severity));
    const tr = el('tr', { class: 'finding' + (f[F.state] ? ' hidden-state' : '') },
      el('td', {}, toggle),
      el('td', {}, rule(f).id),
      el('td', { class: 'entity' }, label(f)),
      el('td', {}, f[F.provider]),
      el('td', {}, f[F.scope]),
      el('td', {}, owner(f)));
    let open = null;
    toggle.addEventListener('click', () => {
      if (open) {
        open.remove();
        open = null;
        toggle.setAttribute('aria-expanded', 'false');
      } else {
        open = detail(f);
        tr.after(open);
        toggle.setAttribute('aria-expanded', 'true');
      }
    });
    return tr;
  }

  function renderMore() {
    const next = matching.slice(shown, shown + PAGE);
    const fragment = document.createDocumentFragment();
    for (const f of next) fragment.append(row(f));
    body.append(fragment);
    shown += next.length;
    more.hidden = shown >= matching.length;
    more.textContent = 'Show ' + Math.min(PAGE, matching.length - shown) + ' more';
    status.textContent = matching.length + ' of ' + data.findings.length + ' findings'
      + (shown < matching.length ? ' (' + shown + ' shown)' : '')
      + (entity ? ', entity ' + entity : '');
    document.body.dataset.findingsTotal = String(data.findings.length);
    document.body.dataset.findingsMatching = String(matching.length);
    document.body.dataset.findingsShown = String(shown);
  }

  function apply() {
    matching = data.findings.filter(matches).sort(compare);
    body.replaceChildren();
    shown = 0;
    renderMore();
    $('filter-entity').hidden = !entity;
    $('filter-entity-name').textContent = entity;
    const params = new URLSearchParams();
    for (const name of ['severity', 'rule', 'provider', 'scope', 'owner', 'q']) {
      if (filters[name].value) params.set(name, filters[name].value);
    }
    if (filters.hidden.checked) params.set('hidden', '1');
    if (entity) params.set('entity', entity);
    const hash = params.toString();
    if (hash !== location.hash.slice(1)) history.replaceState(null, '', hash ? '#' + hash : location.pathname);
  }

  function fromHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    for (const name of ['severity', 'rule', 'provider', 'scope', 'owner', 'q']) {
      const value = params.get(name) || '';
      const field = filters[name];
      if (field.tagName === 'SELECT' && value && ![...field.options].some((o) => o.value === value)) {
        field.append(el('option', { value }, value));
      }
      field.value = value;
    }
    filters.hidden.checked = params.get('hidden') === '1';
    entity = params.get('entity') || '';
  }

  for (const field of Object.values(filters)) {
    field.addEventListener(field.tagName === 'INPUT' && field.type === 'search' ? 'input' : 'change', apply);
  }
  $('filter-entity-clear').addEventListener('click', () => { entity = ''; apply(); });
  $('filter-reset').addEventListener('click', () => {
    for (const field of Object.values(filters)) {
      if (field.type === 'checkbox') field.checked = false; else field.value = '';
    }
    entity = '';
    apply();
  });
  $('filters').addEventListener('submit', (event) => event.preventDefault());
  more.addEventListener('click', renderMore);
  if ('IntersectionObserver' in window) {
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !more.hidden) renderMore();
    }).observe(more);
  }
  for (const th of document.querySelectorAll('#findings-table th[data-sort]')) {
    th.querySelector('button').addEventListener('click', () => {
      const key = th.dataset.sort;
      sortDir = key === sortKey ? -sortDir : 1;
      sortKey = key;
      for (const other of document.querySelectorAll('#findings-table th[data-sort]')) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', sortDir === 1 ? 'ascending' : 'descending');
      apply();
    });
  }
  // Graph nodes and agent rows name an entity: a click filters the findings to it.
  document.addEventListener('click', (event) => {
    const target = event.target.closest('[data-entity]');
    if (!target) return;
    event.preventDefault();
    entity = target.getAttribute('data-entity');
    apply();
    $('findings').scrollIntoView();
  });
  window.addEventListener('hashchange', () => { fromHash(); apply(); });
  fromHash();
  apply();
  document.body.dataset.ready = 'true';
}).catch((error) => {
  const status = document.getElementById('findings-status');
  status.textContent = 'The findings could not be shown: ' + error + '. The JSON, CSV or XLSX report lists them.';
  status.className = 'error-banner';
  console.error(error);
});
