(async function(seed, mode){
  if (typeof core === "undefined" || typeof core.startEpisodeReal !== "function") throw new Error("no MiniWoB++ core on the page");
  __wobH.resetIds();
  if (!core.cover_div) core.startEpisode();
  core.endEpisode(0);
  Math.seedrandom(seed);
  if (core.setDataMode) core.setDataMode(mode);
  core.startEpisodeReal();
  if (core.EP_TIMER !== null) {
    clearTimeout(core.EP_TIMER);
    core.EP_TIMER = setTimeout(function(){ core.endEpisode(-1, false, "timed out"); }, 2000000000);
  }
  var ready = function(){ return typeof WOB_TASK_READY === "undefined" || WOB_TASK_READY; };
  for (var i = 0; i < 60 && !ready(); i++) await new Promise(function(r){ setTimeout(r, 50); });
  if (!ready()) throw new Error("task not ready 3 s after the start");
  __wobH.begin();
  return true;
})
