// Every report format, by the name `--format` takes.
import type { Format } from '../config.ts';
import type { Reported } from './baseline.ts';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderSarif } from './sarif.ts';
import { renderText } from './text.ts';

const RENDERERS: Record<Format, (result: Reported) => string> = {
  text: renderText,
  json: renderJson,
  sarif: renderSarif,
  html: renderHtml,
  junit: renderJunit,
};

export function renderReport(format: Format, result: Reported): string {
  return RENDERERS[format](result);
}
