// Row `node:http`: the physical limit on this machine — no framework, no security layer.
import { createServer } from 'node:http';
import { order, ready } from './common.ts';

const PREFIX = '/v1/orders/';

const server = createServer((req, res) => {
  const url = req.url ?? '';
  if (req.method === 'GET' && url.startsWith(PREFIX) && url.length > PREFIX.length) {
    const body = JSON.stringify(order(url.slice(PREFIX.length)));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  res.writeHead(404, { 'content-length': '0' });
  res.end();
});
server.listen(0, '127.0.0.1', () => ready(server.address()));
