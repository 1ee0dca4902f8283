/**
 * The ipv6-churn attacker, run inside the attack's network namespace (see ipv6Churn.ts): from
 * ADDRESSES addresses of one /64 it holds HOLD connections to the hub and keeps CHURN more that
 * each live 0.2-1 s before they close and reconnect, for SECONDS. Prints one JSON line: how many connections the hub
 * admitted (`#hello`) at most at once, how many it refused, how many were opened.
 *
 *   node --import tsx ipv6ChurnProcess.ts PORT SECONDS PREFIX ADDRESSES HOLD CHURN
 */
import { connect } from 'node:net';

const [port, seconds, prefix, addresses, hold, churn] = process.argv.slice(2);
const PORT = Number(port);
const UNTIL = performance.now() + Number(seconds) * 1000;
const ADDRESSES = Number(addresses);
const HOLD = Number(hold);
const CHURN = Number(churn);
/** A bound on connections opened in all, whatever the time. */
const MAX_OPENED = 200_000;

let open = 0;
let admitted = 0;
let peakAdmitted = 0;
let refused = 0;
let opened = 0;
let errors = 0;

function one(held: boolean): void {
  if (performance.now() >= UNTIL || opened >= MAX_OPENED) return;
  const localAddress = `${prefix}${(0x100 + (opened % ADDRESSES)).toString(16)}`;
  opened++;
  open++;
  const socket = connect({ host: '::1', port: PORT, localAddress, family: 6 });
  let welcomed = false;
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text = (text + chunk).slice(-512);
    if (!welcomed && text.includes('#hello ')) {
      welcomed = true;
      admitted++;
      peakAdmitted = Math.max(peakAdmitted, admitted);
      if (!held) setTimeout(() => socket.end(), 200 + Math.random() * 800);
    }
    if (/#bye too-many-connections|#bye hub-full/.test(text)) {
      refused++;
      text = '';
    }
  });
  socket.on('error', () => errors++);
  socket.on('close', () => {
    open--;
    if (welcomed) admitted--;
    one(held); // reconnect
  });
  // A churner the hub neither welcomes nor refuses is given up after 5 s; a held one waits.
  if (!held)
    setTimeout(() => {
      if (!welcomed) socket.destroy();
    }, 5_000).unref();
}

for (let i = 0; i < HOLD; i++) one(true);
for (let i = 0; i < CHURN; i++) one(false);
const timer = setInterval(() => {
  if (performance.now() < UNTIL && opened < MAX_OPENED) return;
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify({ peakAdmitted, refused, opened, errors, open })}\n`);
  process.exit(0);
}, 100);
