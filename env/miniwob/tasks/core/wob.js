// wob.js: page side of the vlmq MiniWoB-style protocol, shared by every task.
//
// Contract read by the Go harness (env/miniwob):
//   wob.start(seed)    start an episode; the same seed string gives the same problem
//   WOB_DONE, WOB_REWARD, WOB_REASON   outcome of the current episode
//   wob.instruction()  the instruction text shown in the #query bar
//   wob.truth()        ground truth of the problem, for scripted experts only
// A task page registers its generator with wob.task(gen); gen(rng, area)
// builds the problem inside #area and returns {instruction, truth}. Pages call
// wob.end(reward, reason) exactly once per episode; later calls are ignored.
var WOB_DONE = false, WOB_REWARD = 0, WOB_REASON = "", WOB_SEED = "", WOB_EPISODE = 0;

var wob = (function () {
  var gen = null, truth = null, instruction = "";

  // 32-bit FNV-1a of the seed string: any Go int64 seed maps to a state.
  // The page title (the task name) is mixed in so that tasks do not share
  // their random streams.
  function hash(str) {
    var h = 0x811c9dc5;
    for (var i = 0; i < str.length; i++) {
      h ^= str.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  // Rng is xorshift32 with a multiplicative output scramble; small, fast and
  // identical in every browser (only 32-bit integer ops).
  function Rng(seed) {
    var s = hash("wob:" + document.title + ":" + seed) || 0x2545f491;
    this.next = function () {
      s ^= s << 13; s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5; s >>>= 0;
      return Math.imul(s ^ (s >>> 16), 0x45d9f3b) >>> 0;
    };
    for (var i = 0; i < 8; i++) this.next(); // decorrelate nearby seeds
  }
  Rng.prototype.float = function () { return this.next() / 4294967296; };
  // int returns an integer in [lo, hi).
  Rng.prototype.int = function (lo, hi) { return lo + Math.floor(this.float() * (hi - lo)); };
  Rng.prototype.pick = function (a) { return a[this.int(0, a.length)]; };
  Rng.prototype.shuffle = function (a) {
    a = a.slice();
    for (var i = a.length - 1; i > 0; i--) {
      var j = this.int(0, i + 1), t = a[i];
      a[i] = a[j]; a[j] = t;
    }
    return a;
  };
  Rng.prototype.sample = function (a, k) { return this.shuffle(a).slice(0, k); };

  // el creates an element: props may hold id, text, cls, css, attrs, and
  // event handlers (on*).
  function el(tag, props, parent) {
    var e = document.createElement(tag);
    props = props || {};
    for (var k in props) {
      var v = props[k];
      if (k === "text") e.textContent = v;
      else if (k === "cls") e.className = v;
      else if (k === "css") e.style.cssText = v;
      else if (k === "attrs") { for (var a in v) e.setAttribute(a, v[a]); }
      else if (k.indexOf("on") === 0) e[k] = v;
      else e[k] = v;
    }
    if (parent) parent.appendChild(e);
    return e;
  }

  // cells picks n distinct cells of a cols x rows grid over the area and
  // returns their top-left corners, so placed widgets never overlap.
  function cells(r, n, cols, rows) {
    var all = [];
    for (var y = 0; y < rows; y++) for (var x = 0; x < cols; x++) all.push([x, y]);
    var w = Math.floor(160 / cols), h = Math.floor(160 / rows);
    return r.sample(all, n).map(function (c) {
      return { x: c[0] * w + r.int(2, 8), y: c[1] * h + r.int(2, 8), w: w - 10, h: h - 10 };
    });
  }

  function ordinal(n) {
    var s = ["th", "st", "nd", "rd"], v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }

  function start(seed) {
    if (!gen) throw new Error("wob: page registered no task");
    WOB_SEED = String(seed);
    WOB_DONE = false; WOB_REWARD = 0; WOB_REASON = ""; WOB_EPISODE++;
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    var area = document.getElementById("area");
    area.innerHTML = "";
    var p = gen(new Rng(WOB_SEED), area);
    instruction = p.instruction;
    truth = p.truth;
    document.getElementById("query").textContent = instruction;
    return instruction;
  }

  function end(reward, reason) {
    if (WOB_DONE) return;
    WOB_REWARD = Math.max(-1, Math.min(1, reward));
    WOB_REASON = reason || "";
    WOB_DONE = true;
  }

  return {
    Rng: Rng,
    task: function (g) { gen = g; },
    start: start,
    end: end,
    // judge ends the episode with +1 when ok, else -1.
    judge: function (ok, good, bad) { end(ok ? 1 : -1, ok ? good : bad); },
    instruction: function () { return instruction; },
    truth: function () { return truth; },
    el: el,
    cells: cells,
    ordinal: ordinal,
    WORDS: ["ok", "yes", "no", "next", "back", "save", "open", "close", "copy", "edit",
            "send", "stop", "play", "find", "home", "help", "menu", "load", "quit", "undo",
            "redo", "view", "sort", "print", "share", "reply", "apple", "lemon", "tiger",
            "river", "cloud", "stone", "green", "brown", "pixel", "robot", "piano", "ocean"],
    NAMES: ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
            "judy", "mallory", "oscar", "peggy", "trent", "victor", "wendy"],
  };
})();
