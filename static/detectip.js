/* Home page: after the hidden requests to the IPv4-only and IPv6-only
 * hosts (images in the page) had time to arrive, ask /ajax_get_ips/ what
 * the session now knows and show it. Twice, like the original: at 1.5 s
 * and at 3 s. Without JavaScript the page still shows the connection's
 * own address. */
(function () {
	"use strict";
	var box = document.getElementById("ip-info");
	if (!box || !window.fetch) {
		return;
	}
	var url = box.getAttribute("data-ajax-url") || "/ajax_get_ips/";
	var keys = ["ipv4", "ipv4_rdns", "ipv6", "ipv6_rdns"];

	function show(data) {
		keys.forEach(function (k) {
			var el = document.getElementById(k);
			var v = data[k];
			/* Keep what the page already shows rather than blank it. */
			if (el && typeof v === "string" && v !== "") {
				el.textContent = v;
			}
		});
	}

	function poll() {
		fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
			.then(function (r) { return r.ok ? r.json() : null; })
			.then(function (d) { if (d) { show(d); } })
			.catch(function () { /* offline or blocked: keep the page as it is */ });
	}

	window.setTimeout(poll, 1500);
	window.setTimeout(poll, 3000);
}());
