// An mDNS peer that is not parlor's own code: multicast-dns used directly. Run inside a test
// namespace, it asks for `_parlor._tcp.local` and prints every answer it hears as one JSON line
// (name, type, ttl, data), for as long as its first argument says (milliseconds).

import makeMdns from 'multicast-dns';

const durationMs = Number(process.argv[2] ?? 2000);
const mdns = makeMdns();
const show = (data: unknown): unknown => {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return data.map(show);
  return data;
};
mdns.on('response', (response) => {
  for (const record of [...response.answers, ...(response.additionals ?? [])]) {
    process.stdout.write(JSON.stringify({ name: record.name, type: record.type, ttl: 'ttl' in record ? record.ttl : null, data: show((record as { data?: unknown }).data) }) + '\n');
  }
});
const ask = () => mdns.query({ questions: [{ name: '_parlor._tcp.local', type: 'PTR' }] });
ask();
const again = setInterval(ask, 500);
setTimeout(() => {
  clearInterval(again);
  mdns.destroy();
}, durationMs);
