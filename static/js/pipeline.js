// The pipeline board: drag a card onto another stage to fire the transition that
// leads there. The server answers the board's columns (a refusal comes back as
// 422 with its reason), which htmx swaps in; the buttons on each card do the same
// without JavaScript beyond htmx.
(function () {
  "use strict";
  var MOVES = { quoting: "start_quoting", won: "win", lost: "lose" };
  var dragged = null;

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".pipeline-card[draggable]");
    if (!card) return;
    dragged = card;
    card.classList.add("pipeline-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.opportunity);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("pipeline-dragging");
    dragged = null;
    document.querySelectorAll(".pipeline-drop-target").forEach(function (el) {
      el.classList.remove("pipeline-drop-target");
    });
  });

  function zoneFor(event) {
    var zone = event.target.closest && event.target.closest(".pipeline-dropzone");
    if (!zone || !dragged || !MOVES[zone.dataset.stage]) return null;
    if (zone.contains(dragged)) return null;
    return zone;
  }

  document.addEventListener("dragover", function (event) {
    var zone = zoneFor(event);
    if (!zone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    zone.classList.add("pipeline-drop-target");
  });

  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest(".pipeline-dropzone");
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("pipeline-drop-target");
  });

  document.addEventListener("drop", function (event) {
    var zone = zoneFor(event);
    if (!zone) return;
    event.preventDefault();
    var card = dragged;
    var name = MOVES[zone.dataset.stage];
    var values = { version: card.dataset.version };
    if (name === "lose") {
      var reason = window.prompt("Why was " + card.dataset.opportunity + " lost?");
      if (reason === null) return;
      values.comment = reason;
    }
    window.htmx.ajax("POST", card.dataset.movesUrl + name + "/", {
      source: card,
      target: "#pipeline-board",
      swap: "outerHTML",
      values: values,
    });
  });
})();
