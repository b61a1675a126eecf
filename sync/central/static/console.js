// Live pages: fetch this page again every few seconds and swap in its #live part (no reload, no flicker).
(function () {
  const live = document.getElementById("live");
  const every = live && Number(live.dataset.live);
  if (!every) return;
  async function refresh() {
    if (document.activeElement && live.contains(document.activeElement) &&
        /INPUT|TEXTAREA/.test(document.activeElement.tagName)) return;  // someone is typing
    try {
      const answer = await fetch(location.href, {credentials: "same-origin"});
      if (!answer.ok || answer.redirected) return;
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById("live");
      if (fresh) { live.innerHTML = fresh.innerHTML; live.dataset.updated = String(Date.now()); }
    } catch (e) { /* offline for a moment: the next round tries again */ }
  }
  setInterval(refresh, every * 1000);
})();
