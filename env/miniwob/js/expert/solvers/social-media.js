var m = Q.match(/^For the user (.*), click on the "(.*)" button\.$/), user = m[1], label = m[2];
var post = $$("#area .media").filter(function (p) { return txt($(".username", p)) === user; })[0];
var direct = { Reply: "reply", Retweet: "retweet", Like: "like" }[label];
if (direct) return click($(".controls ." + direct, post));
var item = $$("li", post).filter(function (li) { return txt(li).indexOf(label) === 0; })[0];
if (!shown(item)) return click($(".more", post));
return click(item);
