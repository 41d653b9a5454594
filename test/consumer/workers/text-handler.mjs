// A pool handler that checks what it is given is text through Buffer views (issue 17 item 7):
// context.data.stats: Int32Array ([0] records seen, [1] records whose value was not a Buffer
// reading as `v<offset>`, or whose header h was not a Buffer reading as `h<offset>`).
export function handler(message, context) {
  const { stats } = context.data;
  const good = Buffer.isBuffer(message.value) && message.value.toString() === `v${message.offset}`
    && Buffer.isBuffer(message.headers.h) && message.headers.h.toString() === `h${message.offset}`;
  if (!good) Atomics.add(stats, 1, 1);
  Atomics.add(stats, 0, 1);
}
