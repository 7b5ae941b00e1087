// The fleet status page: polls the verifier's JSON (the documents `nodes list --json` and
// `nodes show HASH --json` print) and draws it. Everything a node reports (hostname, reasons, event
// descriptions) is attacker-controlled text: it only ever reaches the DOM as text nodes
// (createTextNode/textContent), never as markup; the Content-Security-Policy forbids inline script.
'use strict';

(function () {
  const POLL_MS = 3000;
  const HASH = /^[0-9a-f]{64}$/;

  // el('td', { class: 'x' }, 'text', childNode, ...): attributes by setAttribute, children as text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) {
        node.setAttribute(name, String(value));
      }
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined) {
        continue;
      }
      node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  function time(iso) {
    if (!iso) {
      return el('span', { class: 'muted' }, 'never');
    }
    const at = new Date(iso);
    const ago = Math.max(0, Math.round((Date.now() - at.getTime()) / 1000));
    const text = at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    return el('span', { title: iso }, text, el('span', { class: 'muted' }, ' (' + agoText(ago) + ')'));
  }

  function agoText(s) {
    if (s < 90) return s + ' s ago';
    if (s < 5400) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' days ago';
  }

  function badge(state) {
    // The class is one of the known states or nothing: a state is never used as markup.
    const known = ['Pending', 'Trusted', 'Quarantined', 'Silent', 'Terminated'].includes(state) ? state : '';
    return el('span', { class: 'badge ' + known, 'data-state': state }, state);
  }

  function hashLink(hash) {
    const safe = HASH.test(hash) ? hash : '';
    // Abbreviated like a git commit; the full hash is the link's title and on the node's page.
    return el('a', { href: '/node/' + safe, class: 'mono', title: hash }, hash.substring(0, 16) + '\u2026');
  }

  // Why a node is quarantined: reasons, failing PCRs, the first broken event.
  function why(n) {
    const items = [];
    for (const r of n.reasons || []) {
      items.push(el('li', { class: 'reason' }, el('span', { class: 'code' }, r.code), r.message ? ': ' + r.message : ''));
    }
    for (const p of n.failingPcrs || []) {
      items.push(el('li', { class: 'pcr' }, 'PCR ' + p.bank + ':' + p.index + ' is ',
        el('code', {}, p.actual), ', expected ', el('code', {}, p.expected)));
    }
    const e = n.firstBrokenEvent;
    if (e) {
      items.push(el('li', { class: 'event' }, 'first broken event #' + e.index + ' (PCR ' + e.pcr + ', ' + e.eventType + '): ' + e.description));
    }
    return items.length ? el('ul', { class: 'why' }, items) : null;
  }

  function counts(nodes) {
    const by = {};
    for (const n of nodes) {
      by[n.state] = (by[n.state] || 0) + 1;
    }
    return el('ul', { class: 'counts' },
      el('li', {}, el('b', {}, nodes.length), 'nodes'),
      Object.keys(by).sort().map(s => el('li', { class: badgeClass(s) }, el('b', {}, by[s]), s)));
  }

  function badgeClass(state) {
    return ['Trusted', 'Quarantined', 'Silent', 'Terminated'].includes(state) ? state : '';
  }

  function fleet(nodes) {
    // Quarantined first, then by hostname: what needs a look is on top.
    const order = { Quarantined: 0, Silent: 1, Pending: 2, Trusted: 3, Terminated: 4 };
    const sorted = nodes.slice().sort((a, b) =>
      ((order[a.state] ?? 5) - (order[b.state] ?? 5)) || a.hostname.localeCompare(b.hostname) || a.tpmHash.localeCompare(b.tpmHash));
    const rows = sorted.map(n => el('tr', { class: 'node state-' + badgeClass(n.state), 'data-tpm-hash': n.tpmHash, 'data-state': n.state },
      el('td', {}, badge(n.state)),
      el('td', { class: 'hostname' }, n.hostname || el('span', { class: 'muted' }, '-')),
      el('td', {}, hashLink(n.tpmHash)),
      el('td', {}, time(n.lastAttestationAt)),
      el('td', {}, n.lastVerdict || '-'),
      el('td', { class: 'why-cell' }, why(n))));
    return [
      counts(nodes),
      el('table', { id: 'nodes' },
        el('thead', {}, el('tr', {}, ['State', 'Hostname', 'TPM hash', 'Last attestation', 'Verdict', 'Why'].map(h => el('th', {}, h)))),
        el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 6, class: 'empty' }, 'no nodes yet')))),
    ];
  }

  function node(d, summary) {
    const facts = [
      ['State', badge(d.state)],
      ['Hostname', d.hostname || '-'],
      ['TPM hash', el('span', { class: 'mono' }, d.tpmHash)],
      ['AK Name', el('span', { class: 'mono' }, d.akName || '-')],
      ['AK policy', d.akMode],
      ['Boot policy', d.hasBootPolicy ? 'attached' : (d.underFleetBootPolicy ? 'fleet default' : 'none')],
      ['TPM firmware', d.tpmFirmware || '-'],
      ['Attestations', d.attestationsPassed + ' passed' + (d.maxAttestations != null ? ' of a budget of ' + d.maxAttestations : '')],
      ['Secrets', (d.secretLabels || []).length ? d.secretLabels.join(', ') : '-'],
    ];
    if (summary) {
      facts.splice(1, 0, ['Last attestation', time(summary.lastAttestationAt)]);
    }
    const out = [
      el('h2', {}, 'Node ', el('span', { class: 'hostname' }, d.hostname || d.tpmHash)),
      el('dl', { class: 'facts', id: 'node', 'data-tpm-hash': d.tpmHash, 'data-state': d.state }, facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    ];
    // The list carries the why (reasons, failing PCRs, first broken event) while a node is not trusted for a reason.
    if (summary && (summary.state === 'Quarantined' || why(summary))) {
      out.push(el('h2', {}, 'Why ' + summary.state), why(summary) || el('p', { class: 'empty' }, 'no reason on record'));
    }
    out.push(el('h2', {}, d.pcrTofuPending ? 'PCR policy (TOFU pending: the first pass learns every quoted PCR not listed)' : 'PCR policy (PCRs not listed are skipped)'));
    out.push(table(['PCR', 'Mode', 'Value'], (d.pcrPolicy || []).map(p => [p.bank + ':' + p.index, p.mode, el('code', {}, p.value || '')]), 'no PCR entries'));
    out.push(el('h2', {}, 'History (newest first)'));
    out.push(table(['At', 'Verdict', 'Reset count', 'Reasons'], (d.history || []).map(h => [
      time(h.at), h.verdict, h.resetCount,
      (h.reasons || []).length ? el('ul', { class: 'why' }, h.reasons.map(r => el('li', {}, el('span', { class: 'code' }, r.code), r.message ? ': ' + r.message : ''))) : '',
    ]), 'no attestation judged yet', 'history'));
    out.push(el('h2', {}, 'Audit (newest first): learned and set values, old \u2192 new, and who'));
    out.push(table(['At', 'Who', 'What', 'Old \u2192 new'], (d.audit || []).map(a => [
      time(a.at), a.actor, a.what, el('span', { class: 'mono' }, (a.oldValue ?? '-') + ' \u2192 ' + (a.newValue ?? '-')),
    ]), 'no audit entries', 'audit'));
    return out;
  }

  function table(headers, rows, empty, id) {
    return el('table', { id: id || null },
      el('thead', {}, el('tr', {}, headers.map(h => el('th', {}, h)))),
      el('tbody', {}, rows.length ? rows.map(r => el('tr', {}, r.map(c => el('td', {}, c))))
        : el('tr', {}, el('td', { colspan: headers.length, class: 'empty' }, empty))));
  }

  async function getJson(url) {
    const r = await fetch(url, { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (r.status === 404) {
      return null;
    }
    if (!r.ok) {
      throw new Error(url + ': HTTP ' + r.status);
    }
    return r.json();
  }

  function show(children, message, failed) {
    const view = document.getElementById('view');
    view.replaceChildren(...children.flat(Infinity).filter(c => c));
    const status = document.getElementById('status');
    status.textContent = message;
    status.className = failed ? 'status error' : 'status';
  }

  async function refresh() {
    const path = window.location.pathname;
    const stamp = 'updated ' + new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') + ', every ' + POLL_MS / 1000 + ' s';
    try {
      if (path.startsWith('/node/')) {
        const hash = path.substring('/node/'.length);
        if (!HASH.test(hash)) {
          show([el('p', { class: 'empty' }, 'not a TPM hash (64 lowercase hex digits)')], 'bad address', true);
          return;
        }
        const [details, list] = await Promise.all([getJson('/api/nodes/' + hash), getJson('/api/nodes')]);
        if (!details) {
          show([el('p', { class: 'empty' }, 'this verifier does not know the node')], stamp, false);
          return;
        }
        document.title = 'KcryptPush: ' + (details.hostname || hash);
        show(node(details, (list || []).find(n => n.tpmHash === hash)), stamp, false);
      } else {
        const list = await getJson('/api/nodes');
        show(fleet(list || []), stamp, false);
      }
    } catch (e) {
      // Keep what was drawn: the operator still sees the last known fleet, marked stale.
      const status = document.getElementById('status');
      status.textContent = 'verifier unreachable (' + e.message + '); showing the last data, retrying';
      status.className = 'status error';
    }
  }

  async function loop() {
    await refresh();
    window.setTimeout(loop, POLL_MS);
  }

  loop();
})();
