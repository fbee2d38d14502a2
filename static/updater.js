/* The browser-based updater (/update): every 5 minutes it asks /myip for
 * the address this browser uses and, when that changed since the last
 * successful update, calls /nic/update with the host's credentials (which
 * the page got from the URL's user:password part). The page is served on
 * the update host itself, so both requests stay on the same origin. */
(function () {
	"use strict";
	var INTERVAL = 300 * 1000;
	var RETRY = 60 * 1000;

	function b64(text) {
		var bytes = new TextEncoder().encode(text);
		var bin = "";
		for (var i = 0; i < bytes.length; i++)
			bin += String.fromCharCode(bytes[i]);
		return window.btoa(bin);
	}

	document.addEventListener("DOMContentLoaded", function () {
		var cfg = document.getElementById("updater");
		var status = document.getElementById("updater-status");
		var ipCell = document.getElementById("updater-ip");
		var log = document.getElementById("updater-log");
		if (!cfg || !window.fetch)
			return;
		/* The page's own URL carries user:password, and fetch() refuses
		 * URLs with credentials, relative ones resolved against it too. */
		var origin = window.location.protocol + "//" + window.location.host;
		var auth = "Basic " + b64(cfg.getAttribute("data-fqdn") + ":" + cfg.getAttribute("data-secret"));
		var last = null;

		function say(text, level) {
			status.textContent = text;
			status.className = "col-sm-8 text-" + level + "-emphasis";
			var li = document.createElement("li");
			li.textContent = new Date().toLocaleTimeString() + "  " + text;
			log.insertBefore(li, log.firstChild);
			while (log.children.length > 50)
				log.removeChild(log.lastChild);
		}

		function message(word) {
			return cfg.getAttribute("data-" + word) || cfg.getAttribute("data-unknown");
		}

		function run() {
			fetch(origin + "/myip", { cache: "no-store", credentials: "omit" }).then(function (res) {
				if (!res.ok)
					throw new Error("myip " + res.status);
				return res.text();
			}).then(function (ip) {
				ip = ip.trim();
				ipCell.textContent = ip;
				if (ip === last) {
					window.setTimeout(run, INTERVAL);
					return null;
				}
				return fetch(origin + "/nic/update", {
					cache: "no-store",
					credentials: "omit",
					headers: { "Authorization": auth }
				}).then(function (res) {
					return res.text();
				}).then(function (text) {
					var word = text.trim().split(/[ \n]/)[0];
					var ok = word === "good" || word === "nochg";
					say(message(word) + " (" + text.trim() + ")",
					    word === "good" ? "success" : ok ? "warning" : "danger");
					if (ok)
						last = ip;
					/* An error answer will not change by asking sooner. */
					window.setTimeout(run, INTERVAL);
				});
			}).catch(function () {
				say(cfg.getAttribute("data-failed"), "danger");
				window.setTimeout(run, RETRY);
			});
		}
		run();
	});
})();
