// The message on this page came with its address (?msg=): take it out of the address, so that
// reloading the page, or coming back to it, does not show the message again.
(function () {
  "use strict";
  var url = new URL(window.location.href);
  if (url.searchParams.has("msg")) {
    url.searchParams.delete("msg");
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
  }
})();
