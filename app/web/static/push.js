// Settings: turn Web Push on or off for this device (a subscription per browser).
(() => {
  const box = document.querySelector(".push-device");
  if (!box) return;
  const status = box.querySelector(".push-status");
  const button = box.querySelector(".push-toggle");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const say = (key) => { status.textContent = status.dataset[key]; };
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) { say("unsupported"); return; }

  const keyBytes = (b64) => {
    const raw = atob((b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  const post = (url, body) => fetch(url, {
    method: "POST", credentials: "same-origin", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
  });
  const show = (on) => {
    say(on ? "on" : "off");
    button.textContent = on ? button.dataset.onLabel : button.dataset.offLabel;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.hidden = false;
  };

  let registration;
  const current = async () => registration && registration.pushManager.getSubscription();

  const turnOn = async () => {
    if ((await Notification.requestPermission()) !== "granted") { say("denied"); return; }
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.pushKey),
    });
    const answer = await post(box.dataset.subscribeUrl, subscription.toJSON());
    show(answer.ok);
  };
  const turnOff = async () => {
    const subscription = await current();
    if (subscription) {
      await post(box.dataset.removeUrl, { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
    }
    show(false);
  };

  navigator.serviceWorker.register(box.dataset.workerUrl).then(async (reg) => {
    registration = reg;
    show(Boolean(await current()) && Notification.permission === "granted");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try { (await current()) ? await turnOff() : await turnOn(); }
      catch (error) { say("denied"); }
      finally { button.disabled = false; }
    });
  }).catch(() => say("unsupported"));
})();
