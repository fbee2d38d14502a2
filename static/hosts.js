/* The host page's manual update and delete buttons (/nic/update_authorized,
 * /nic/delete_authorized). Without JavaScript the forms post normally and
 * the page comes back with the answer as a message; with it, the answer is
 * shown in place and the current address cells follow it. */
(function () {
	"use strict";

	function setCell(id, text, missing) {
		var cell = document.getElementById(id);
		if (!cell)
			return;
		cell.textContent = "";
		if (missing) {
			var span = document.createElement("span");
			span.className = "text-body-secondary";
			span.textContent = missing;
			cell.appendChild(span);
		} else {
			cell.textContent = text;
		}
	}

	/* "good 1.2.3.4,2001:db8::1", "nochg ...", "deleted A,AAAA" and the
	 * mixed form (one result per line) tell what the records hold now. */
	function follow(answer, none) {
		answer.split("\n").forEach(function (line) {
			var parts = line.trim().split(" ");
			if (parts.length < 2)
				return;
			var items = parts[1].split(",");
			if (parts[0] === "good" || parts[0] === "nochg") {
				items.forEach(function (a) {
					setCell(a.indexOf(":") >= 0 ? "current-aaaa" : "current-a", a, null);
				});
			} else if (parts[0] === "deleted") {
				items.forEach(function (t) {
					setCell(t === "AAAA" ? "current-aaaa" : "current-a", "", none);
				});
			}
		});
	}

	/* Copy buttons (the secret): shown only where the clipboard API works. */
	document.addEventListener("DOMContentLoaded", function () {
		if (!navigator.clipboard || !window.isSecureContext)
			return;
		var buttons = document.querySelectorAll("button.copy-button");
		Array.prototype.forEach.call(buttons, function (b) {
			var target = document.getElementById(b.getAttribute("data-copy"));
			if (!target)
				return;
			b.classList.remove("d-none");
			b.addEventListener("click", function () {
				navigator.clipboard.writeText(target.textContent).then(function () {
					b.textContent = b.getAttribute("data-copied");
				});
			});
		});
	});

	document.addEventListener("DOMContentLoaded", function () {
		var out = document.getElementById("nic-result");
		if (!out || !window.fetch || !window.URLSearchParams || !window.FormData)
			return;
		var none = out.getAttribute("data-none") || "none";
		var forms = document.querySelectorAll("form.nic-form");
		Array.prototype.forEach.call(forms, function (form) {
			form.addEventListener("submit", function (ev) {
				ev.preventDefault();
				var body = new URLSearchParams(new FormData(form));
				/* Without "next" the answer is the plain dyndns2 text. */
				body.delete("next");
				var buttons = document.querySelectorAll("form.nic-form button");
				Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
				out.className = "nic-result font-monospace small text-body-secondary";
				out.textContent = out.getAttribute("data-working");
				fetch(form.action, {
					method: "POST",
					body: body,
					credentials: "same-origin",
					headers: { "Accept": "text/plain" }
				}).then(function (res) {
					if (res.redirected) {
						/* The session ended: the login page. */
						window.location.href = res.url;
						return null;
					}
					return res.text().then(function (text) {
						return { ok: res.ok, text: text };
					});
				}).then(function (r) {
					if (r === null)
						return;
					if (!r.ok)
						throw new Error("HTTP");
					var word = r.text.split(/[ \n]/)[0];
					var good = word === "good" || word === "nochg" || word === "deleted";
					out.className = "nic-result font-monospace small " +
						(good ? "text-success-emphasis" : "text-danger-emphasis");
					out.textContent = out.getAttribute("data-label") + " " + r.text;
					if (good)
						follow(r.text, none);
				}).catch(function () {
					out.className = "nic-result small text-danger-emphasis";
					out.textContent = out.getAttribute("data-failed");
				}).then(function () {
					Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
				});
			});
		});
	});
})();
