var by, task, msg, to, m;
// The forward-nl fields leave out the task, the only one there is.
if (F.by) { by = F.by; task = F.task || (F.to ? "forward" : "reply"); msg = F.message; to = F.to; }
else if ((m = Q.match(/^Find the email by (.*) and reply to them with the text "(.*)"\.$/))) { by = m[1]; task = "reply"; msg = m[2]; }
else if ((m = Q.match(/^Find the email by (.*) and forward that email to (.*)\.$/))) { by = m[1]; task = "forward"; to = m[2]; }
else if ((m = Q.match(/^Find the email by (.*) and click the trash icon/))) { by = m[1]; task = "delete"; }
else if ((m = Q.match(/^Find the email by (.*) and click the star icon/))) { by = m[1]; task = "star"; }
else return fail("instruction not understood: " + Q);
if (task === "important") task = "star";

var reply = $("#reply"), fwd = $("#forward"), email = $("#email");
if (reply && shown(reply)) {
	if (task !== "reply") return click($("#close-reply"));
	return fill($("#reply-text"), msg) || click($("#send-reply"));
}
if (fwd && shown(fwd)) {
	if (task !== "forward") return click($("#close-forward"));
	return fill($(".forward-sender", fwd), to) || click($("#send-forward"));
}
if (email && shown(email)) {
	if (txt($(".email-sender", email)) !== by) return click($("#close-email"));
	if (task === "delete") return click($(".email-actions .trash", email));
	if (task === "star") return click($(".email-actions .star", email));
	return click($(task === "reply" ? ".email-reply" : ".email-forward", email));
}
var search = $("#search");
if (search && shown(search)) return click($("#search-cancel"));
var thread = $$("#main .email-thread").filter(function (t) { return txt($(".email-sender", t)) === by; })[0];
if (!thread) return fail("no email by " + by);
return click($(".email-sender", thread));
