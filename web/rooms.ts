// The waiting room (servers as discovery finds them, an address field, "host a server here", the
// hints when nothing answers) and the login room (name, password from the advert, the server's
// full fingerprint and trust; a changed key blocks login until "yes" is typed).

import type { PageRequest, WebEvent } from '../src/web/wire.ts';
import { h } from './dom.ts';
import { inertText } from '../src/shared/inert-text.ts';

type Send = (request: PageRequest) => void;

export function waitingRoom(state: Extract<WebEvent, { type: 'waiting' }>, send: Send): HTMLElement {
  const headline = state.searching ? `Looking for parlor servers on your network… ${state.servers.length} found` : `Search finished: ${state.servers.length} server${state.servers.length === 1 ? '' : 's'} found.`;
  const list = h('ul', { class: 'servers', 'aria-label': 'Servers on this network' });
  state.servers.forEach((server, index) => {
    const trust = server.trust === 'changed' ? 'KEY CHANGED' : server.trust;
    list.append(h('li', {}, h('button', { type: 'button', class: `server trust-${server.trust}`, onclick: () => send({ type: 'pick', index }) },
      h('strong', { class: 'server-name' }, inertText(server.name)),
      // A chat on several servers: one row, the address it connects to, then the others.
      h('span', { class: 'server-address' }, server.address, server.otherAddresses === undefined ? '' : h('small', { class: 'server-addresses' }, ` also ${server.otherAddresses.join(', ')}`)),
      h('span', { class: 'server-users' }, server.users === undefined ? '' : `${server.users} online`),
      h('code', { class: 'server-fingerprint' }, server.fingerprint.length > 19 ? server.fingerprint.slice(0, 19) + '…' : server.fingerprint),
      h('span', { class: `badge trust-${server.trust}` }, trust),
      server.sshPort === undefined ? '' : h('span', { class: 'server-ssh' }, `ssh -p ${server.sshPort}`))));
  });
  const address = h('input', { id: 'address', name: 'address', placeholder: 'HOST:PORT', autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'address-form', onsubmit: (event: Event) => {
    event.preventDefault();
    if (address.value.trim() !== '') send({ type: 'address', address: address.value });
  } }, h('label', { for: 'address' }, 'Or type an address'), address, h('button', { type: 'submit', class: 'btn' }, 'Connect'));
  return h('section', { class: 'room waiting', 'aria-labelledby': 'waiting-title' },
    h('h2', { id: 'waiting-title' }, 'Servers on this network'),
    h('p', { class: `searching${state.searching ? ' busy' : ''}`, role: 'status' }, h('span', { class: 'pulse', 'aria-hidden': 'true' }), headline),
    list,
    state.hints.length > 0 ? h('div', { class: 'hints' }, h('h3', {}, 'Nothing answered'), h('pre', {}, inertText(state.hints.join('\n'), { keepNewlines: true }))) : null,
    state.message !== '' ? h('p', { class: 'error-text', role: 'alert' }, inertText(state.message)) : null,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => send({ type: 'discover' }) }, 'Search again'),
      h('button', { type: 'button', class: 'btn', onclick: () => send({ type: 'host' }) }, 'Host a server here')),
    form);
}

export function loginRoom(state: Extract<WebEvent, { type: 'login' }>, send: Send): HTMLElement {
  const field = (id: string, label: string, value: string, error: string | undefined, type = 'text') => {
    const input = h('input', { id, name: id, type, value, autocomplete: type === 'password' ? 'current-password' : 'username', ...(error !== undefined && { 'aria-invalid': 'true', 'aria-describedby': `${id}-error` }) });
    return { input, row: h('div', { class: 'field' }, h('label', { for: id }, label), input, error !== undefined ? h('span', { id: `${id}-error`, class: 'error-text' }, `✗ ${inertText(error)}`) : null) };
  };
  const name = field('login-name', 'Name', state.name, state.errors.name);
  const password = field('login-password', 'Password', state.password, state.errors.password, 'password');
  const accept = field('login-accept', 'Accept the new key?', '', state.errors.accept);
  const form = h('form', { class: 'login-form', onsubmit: (event: Event) => {
    event.preventDefault();
    send({ type: 'login', name: name.input.value, password: password.input.value, accept: accept.input.value });
  } }, name.row, password.row,
  state.keyChange !== undefined ? h('div', { class: 'key-changed', role: 'alert' }, h('pre', {}, inertText(state.keyChange, { keepNewlines: true })), accept.row, h('p', { class: 'dim' }, 'type yes to trust the new key')) : null,
  state.errors.form !== undefined ? h('p', { class: 'error-text', role: 'alert' }, inertText(state.errors.form)) : null,
  h('div', { class: 'actions' },
    h('button', { type: 'submit', class: 'btn primary', disabled: state.busy }, state.busy ? 'Connecting…' : 'Log in'),
    h('button', { type: 'button', class: 'btn', onclick: () => send({ type: 'back' }) }, 'Back to the server list')));
  const trustClass = state.keyChange !== undefined ? 'trust-changed' : state.trust.startsWith('known') ? 'trust-known' : 'trust-new';
  return h('section', { class: 'room login', 'aria-labelledby': 'login-title' },
    h('h2', { id: 'login-title' }, 'Log in'),
    h('dl', { class: 'about' },
      h('dt', {}, 'Server'), h('dd', {}, h('strong', {}, inertText(state.serverName)), ` at ${state.address}`),
      h('dt', {}, 'Key'), h('dd', {}, h('code', { class: 'fingerprint' }, state.fingerprint ?? '(presented when you connect)')),
      h('dt', {}, 'Trust'), h('dd', { class: trustClass }, state.keyChange !== undefined ? 'KEY CHANGED: see the warning below' : inertText(state.trust)),
      state.hosted ? h('dt', {}, 'Hosting') : null,
      state.hosted ? h('dd', {}, `this server runs here; join password ${state.hosted.password}, operator password ${state.hosted.operatorPassword}`) : null),
    form);
}
