// A minimal stand-in for MiniWoB++'s core/core.js, written for the vlmq
// tests. It implements only the part of the protocol the harness uses:
// Math.seedrandom, core.startEpisode / core.startEpisodeReal /
// core.endEpisode, core.getUtterance, core.EPISODE_MAX_TIME and the
// WOB_*_GLOBAL variables.
var core = {};

// Math.seedrandom(seed) makes Math.random deterministic (an LCG over a
// string hash; quality does not matter for a test page).
Math.seedrandom = function (seed) {
  var h = 2166136261;
  seed = String(seed);
  for (var i = 0; i < seed.length; i++) { h ^= seed.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
  Math.random = function () {
    h = (Math.imul(h, 1664525) + 1013904223) >>> 0;
    return h / 4294967296;
  };
};

core.randi = function (min, max) { return Math.floor(Math.random() * (max - min) + min); };

var WOB_REWARD_GLOBAL = 0;
var WOB_RAW_REWARD_GLOBAL = 0;
var WOB_REWARD_REASON = null;
var WOB_DONE_GLOBAL = false;
var WOB_EPISODE_ID = 0;
core.EPISODE_MAX_TIME = 10000;
core.EP_TIMER = null;
core.cover_div = null;
core.ept0 = 0;

core.startEpisode = function () {
  if (core.cover_div == null) {
    core.cover_div = document.createElement("div");
    core.cover_div.id = "sync-task-cover";
    core.cover_div.textContent = "START";
    core.cover_div.onclick = function () { core.startEpisodeReal(); };
    document.body.appendChild(core.cover_div);
  }
  core.cover_div.style.display = "block";
};

core.startEpisodeReal = function () {
  genProblem();
  WOB_DONE_GLOBAL = false;
  WOB_REWARD_GLOBAL = 0;
  WOB_RAW_REWARD_GLOBAL = 0;
  WOB_REWARD_REASON = null;
  core.cover_div.style.display = "none";
  core.ept0 = new Date().getTime();
  if (core.EP_TIMER !== null) clearTimeout(core.EP_TIMER);
  core.EP_TIMER = setTimeout(function () { core.endEpisode(-1, false, "timed out"); }, core.EPISODE_MAX_TIME);
};

core.endEpisode = function (reward, timeProportional, reason) {
  if (core.EP_TIMER === null) return;
  clearTimeout(core.EP_TIMER);
  core.EP_TIMER = null;
  WOB_RAW_REWARD_GLOBAL = reward;
  WOB_REWARD_REASON = reason;
  if (timeProportional) {
    var dt = new Date().getTime() - core.ept0;
    reward = reward * Math.max(0, 1 - dt / core.EPISODE_MAX_TIME);
  }
  WOB_REWARD_GLOBAL = reward;
  WOB_DONE_GLOBAL = true;
  WOB_EPISODE_ID++;
  core.startEpisode();
};

core.getUtterance = function () {
  return document.getElementById("query").textContent.replace(/\s+/g, " ").trim();
};
