/* The case page's focus on the message it opens on; its live updates (/evenements,
   server-sent events): the unread count, and a notice when someone else changed the case.
   A file of its own, not an inline script: the Content-Security-Policy allows scripts from
   this site only. */
(function () {
  /* The confirmation or the error summary the page opens on carries autofocus: where a
     browser left the focus on the body, put it there (it is in view then). */
  var wanted = document.querySelector("main [autofocus]");
  if (wanted && (!document.activeElement || document.activeElement === document.body)) {
    wanted.focus();
  }
})();
(function () {
  var script = document.currentScript;
  if (!script || !window.EventSource || !window.JSON) { return; }
  var source = new EventSource(script.getAttribute("data-flux"));
  source.addEventListener("non-lues", function (event) {
    var count = JSON.parse(event.data).unreadCount;
    var badge = document.getElementById("compteur-notifications");
    if (!badge || !badge.firstChild) { return; }
    badge.firstChild.nodeValue = String(count);
    var words = badge.querySelector(".visuellement-cache");
    if (words) { words.textContent = count > 1 ? " non lues" : " non lue"; }
  });
  source.addEventListener("dossier", function () {
    var notice = document.getElementById("mise-a-jour");
    if (notice) { notice.hidden = false; }
  });
  source.addEventListener("fin", function () { source.close(); });
})();
