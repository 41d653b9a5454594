// The handler the handler-pool benchmark runs: touches the value and returns.
export function handler(message) {
  return message.value === null ? 0 : message.value.byteLength;
}
