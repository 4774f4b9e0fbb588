// The server's API (docs/serve.md): JSON requests and the event stream. A
// token given as ?token=... in the page's address is sent as a bearer token
// (and as access_token for EventSource, which cannot send headers).
const token = new URLSearchParams(location.search).get('token');

function headers(extra) {
  const h = Object.assign({}, extra);
  if (token) h.Authorization = 'Bearer ' + token;
  return h;
}

export async function getJSON(path) {
  const r = await fetch(path, { headers: headers() });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

export async function postJSON(path, value) {
  const r = await fetch(path, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(value ?? {}),
  });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

// onFrame(snapshot) for each frame, onScene() when the geometry changed.
export function events(onFrame, onScene, onError) {
  const url = '/api/events' + (token ? '?access_token=' + encodeURIComponent(token) : '');
  const es = new EventSource(url);
  es.onmessage = (e) => onFrame(JSON.parse(e.data));
  es.addEventListener('scene', () => onScene());
  es.onerror = () => onError();
  return es;
}
