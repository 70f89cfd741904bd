/* Copy buttons for the WhatsApp texts: navigator.clipboard where allowed, else select the text and
   use execCommand("copy"); when even that fails the text stays selected for a manual copy. */
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function confirm(button, message) {
    var status = document.getElementById(button.getAttribute("aria-controls") + "-status");
    if (status) { status.textContent = message; }
    button.classList.add("copied");
    window.setTimeout(function () { button.classList.remove("copied"); }, 2500);
  }

  function fallback(button, element) {
    selectText(element);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (error) { ok = false; }
    confirm(button, ok ? button.dataset.copied : button.dataset.selected);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) { return; }
    var element = document.getElementById(button.getAttribute("aria-controls"));
    if (!element) { return; }
    var text = element.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { confirm(button, button.dataset.copied); },
        function () { fallback(button, element); }
      );
    } else {
      fallback(button, element);
    }
  });
})();
