/* "Deel via WhatsApp" on the melding page. The link works on its own (https://wa.me/?text=...).
   With this script: the Web Share API where the browser has it (the phone's share sheet, WhatsApp
   in it), else on a phone the whatsapp:// link straight into the app. After sharing, the status line
   says what comes next: tap "Doorgestuurd", which sits right next to the link. */
(function () {
  "use strict";

  var phone = /Android|iPhone|iPad|iPod/i.test(navigator.userAgent) ||
    (window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  var canShare = typeof navigator.share === "function";

  function status(link) {
    return document.getElementById(link.getAttribute("aria-controls") + "-status");
  }

  function shared(link) {
    var line = status(link);
    if (line) { line.textContent = link.dataset.shared; }
  }

  Array.prototype.forEach.call(document.querySelectorAll("a[data-share]"), function (link) {
    if (!canShare && phone && link.dataset.shareApp) {
      link.href = link.dataset.shareApp;  /* no new tab for the app's own link */
      link.removeAttribute("target");
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-share]");
    if (!link) { return; }
    if (!canShare) { shared(link); return; }  /* the link itself opens WhatsApp */
    if (event.defaultPrevented) { return; }
    var text = document.getElementById(link.getAttribute("aria-controls"));
    if (!text) { return; }
    event.preventDefault();
    navigator.share({text: text.textContent}).then(
      function () { shared(link); },
      function (error) {
        if (error && error.name === "AbortError") { return; }  /* the person closed the share sheet */
        if (phone) { window.location.href = link.dataset.shareApp; } else { window.open(link.href, "_blank", "noopener"); }
      }
    );
  });
})();
