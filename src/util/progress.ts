// Progress of long work: a bar with rate and ETA on a terminal, a plain line every few seconds
// elsewhere (CI logs).
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function progress(
  label: string,
  total: number,
  unit = 'items',
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (stream.isTTY && !process.env.CI) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`,
        etaBuffer: 50,
        hideCursor: true,
        stream,
      },
      cliProgress.Presets.shades_classic,
    );
    const started = Date.now();
    bar.start(total, 0, { rate: '0' });
    return {
      update: (done) => bar.update(done, { rate: (done / Math.max((Date.now() - started) / 1000, 1e-3)).toFixed(1) }),
      stop: () => bar.stop(),
    };
  }
  const started = Date.now();
  let last = 0;
  let current = 0;
  const line = () => {
    const s = (Date.now() - started) / 1000;
    const rate = current / Math.max(s, 1e-3);
    const eta = rate > 0 && total > 0 ? Math.round((total - current) / rate) : NaN;
    const count = total > 0 ? `${current}/${total}` : String(current);
    stream.write(
      `${label}: ${count} ${unit}, ${rate.toFixed(1)}/s, ${s.toFixed(0)} s elapsed${Number.isNaN(eta) ? '' : `, ETA ${eta} s`}\n`,
    );
  };
  return {
    update: (done) => {
      current = done;
      if (last === 0) last = Date.now();
      else if (Date.now() - last >= 10_000) {
        last = Date.now();
        line();
      }
    },
    stop: line,
  };
}
