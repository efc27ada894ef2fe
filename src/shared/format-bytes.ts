// Sizes and rates as both UIs print them. Pure: the web page bundles it too.

/** 0 B, 1023 B, 1.0 KiB, 1.5 MiB: sizes and rates as progress lines show them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}
