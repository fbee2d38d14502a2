/* Light/dark theme for Bootstrap 5.3 (data-bs-theme): follows the system
 * setting (prefers-color-scheme) unless the visitor picked one with the
 * navbar toggle, which is remembered in localStorage. Loaded in <head>
 * (not deferred) so the page never flashes in the wrong theme; no inline
 * script because the Content-Security-Policy forbids it. */
(function () {
	"use strict";
	var KEY = "nsupd-theme";
	var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

	function stored() {
		try {
			var v = window.localStorage.getItem(KEY);
			return v === "light" || v === "dark" ? v : null;
		} catch (e) {
			return null;
		}
	}

	function preferred() {
		return stored() || (media && media.matches ? "dark" : "light");
	}

	function apply(theme) {
		document.documentElement.setAttribute("data-bs-theme", theme);
	}

	apply(preferred());
	if (media && media.addEventListener) {
		media.addEventListener("change", function () {
			if (!stored())
				apply(preferred());
		});
	}

	document.addEventListener("DOMContentLoaded", function () {
		var button = document.getElementById("theme-toggle");
		if (!button)
			return;
		button.addEventListener("click", function () {
			var next = document.documentElement.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
			try {
				window.localStorage.setItem(KEY, next);
			} catch (e) {
				/* private mode: the choice lasts for this page only */
			}
			apply(next);
		});
		/* The language selector submits on change; its button stays for
		 * visitors without JavaScript. */
		var select = document.getElementById("language-select");
		if (select && select.form) {
			select.addEventListener("change", function () {
				select.form.submit();
			});
		}
	});
})();
