var want = Q.match(/with the (.*)\.$/)[1];
var key = /cost/.test(want) ? function (f) { return +$(".buy-ticket", f).getAttribute("data-price"); }
	: function (f) { return +$(".time-duration", f).getAttribute("data-duration"); };
var most = /longest|most/.test(want), best = null;
$$("#area .flight").forEach(function (f) {
	if (!best || (most ? key(f) > key(best) : key(f) < key(best))) best = f;
});
return click($(".buy-ticket", best));
