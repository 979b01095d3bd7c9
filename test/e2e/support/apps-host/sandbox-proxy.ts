/**
 * The sandbox proxy of the e2e host (SEP-1865, "Sandbox proxy"): served on another origin than the
 * host page with the view's CSP as its own (../apps-host.ts), it writes the view's HTML into an
 * inner iframe, which inherits that CSP, and relays messages between host and view. Modelled on
 * ext-apps' examples/basic-host sandbox.
 */
export {};

if (window.self === window.top || !document.referrer)
  throw new Error('The sandbox proxy runs in a host iframe.');
const hostOrigin = new URL(document.referrer).origin;

const inner = document.createElement('iframe');
inner.title = 'view';
inner.setAttribute('sandbox', 'allow-scripts allow-same-origin');
document.body.append(inner);

window.addEventListener('message', (event: MessageEvent) => {
  if (event.source === window.parent) {
    if (event.origin !== hostOrigin) return;
    if (event.data?.method === 'ui/notifications/sandbox-resource-ready') {
      const html = event.data.params?.html;
      const document = inner.contentDocument;
      if (typeof html !== 'string' || !document) return;
      document.open();
      document.write(html);
      document.close();
      return;
    }
    inner.contentWindow?.postMessage(event.data, '*');
  } else if (event.source === inner.contentWindow) {
    window.parent.postMessage(event.data, hostOrigin);
  }
});

window.parent.postMessage(
  { jsonrpc: '2.0', method: 'ui/notifications/sandbox-proxy-ready', params: {} },
  hostOrigin,
);
