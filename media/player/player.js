// The cast player webview (src/extension/recording/castPlayer.ts): builds the bundled asciinema player from the
// cast the extension posts, with speed, play/pause, markers as chapters, and search (the extension finds the
// hits; a click seeks to the moment the text appeared). No network: everything arrives by postMessage.
// @ts-check
(() => {
  const vscode = acquireVsCodeApi();
  /** @type {any} */
  let player;
  let cast = "";
  /** @type {{time:number,label:string}[]} */
  let markers = [];
  let playing = false;
  let timeTimer = 0;

  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const playButton = /** @type {HTMLButtonElement} */ ($("play"));
  const speedSelect = /** @type {HTMLSelectElement} */ ($("speed"));
  const chapters = /** @type {HTMLSelectElement} */ ($("chapters"));
  const timeLabel = $("time");
  const status = $("status");
  const results = $("results");
  const hitsList = $("hits");

  const fmt = (/** @type {number} */ t) => {
    const s = Math.max(0, Math.floor(t || 0));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  };

  const post = (/** @type {object} */ message) => vscode.postMessage(message);

  // Anything the Content-Security-Policy refused, or a script error, is reported (the test API shows it).
  document.addEventListener("securitypolicyviolation", (e) =>
    post({ type: "error", message: `CSP refused ${e.blockedURI || "inline"} (${e.violatedDirective})` }),
  );
  window.addEventListener("error", (e) => post({ type: "error", message: String(e.message) }));
  window.addEventListener("unhandledrejection", (e) => post({ type: "error", message: String(e.reason) }));

  function setPlaying(/** @type {boolean} */ value) {
    playing = value;
    playButton.textContent = value ? "Pause" : "Play";
  }

  function tick() {
    if (!player) return;
    const t = player.getCurrentTime() || 0;
    const d = player.getDuration();
    timeLabel.textContent = d ? `${fmt(t)} / ${fmt(d)}` : fmt(t);
  }

  /** (Re)creates the player at `startAt` seconds; the speed can only be set at creation. */
  function create(/** @type {number} */ startAt, /** @type {boolean} */ autoPlay) {
    if (player) {
      try {
        player.dispose();
      } catch {}
      player = undefined;
    }
    const el = $("player");
    el.textContent = "";
    try {
      player = AsciinemaPlayer.create({ data: cast }, el, {
        speed: Number(speedSelect.value) || 1,
        startAt: startAt > 0 ? startAt : undefined,
        autoPlay,
        preload: true,
        fit: "width",
        idleTimeLimit: 3,
        controls: true,
        markers: markers.map((m) => [m.time, m.label]),
      });
    } catch (error) {
      status.textContent = `The player failed: ${error}`;
      post({ type: "error", message: String(error) });
      return;
    }
    setPlaying(autoPlay);
    player.addEventListener("play", () => setPlaying(true));
    player.addEventListener("playing", () => setPlaying(true));
    player.addEventListener("pause", () => setPlaying(false));
    player.addEventListener("ended", () => setPlaying(false));
    player.addEventListener("marker", (/** @type {{index:number}} */ e) => {
      chapters.value = String(e.index);
    });
    // The duration is known once the recording is loaded (preload).
    let tries = 0;
    const waitLoaded = () => {
      if (!player) return;
      const d = player.getDuration();
      if (typeof d === "number" && !Number.isNaN(d)) {
        post({ type: "loaded", duration: d });
        tick();
      } else if (++tries < 100) setTimeout(waitLoaded, 50);
      else post({ type: "error", message: "the player did not load the cast" });
    };
    waitLoaded();
  }

  function seek(/** @type {number} */ time) {
    if (!player) return;
    // A hair past the event, so the frame that wrote the text is shown.
    void Promise.resolve(player.seek(Math.max(0, time + 0.001))).then(() => {
      tick();
      post({ type: "seeked", time });
    });
  }

  playButton.addEventListener("click", () => {
    if (!player) return;
    void (playing ? player.pause() : player.play());
  });

  speedSelect.addEventListener("change", () => {
    if (!cast) return;
    const at = player ? player.getCurrentTime() || 0 : 0;
    create(at, playing);
  });

  chapters.addEventListener("change", () => {
    const marker = markers[Number(chapters.value)];
    if (chapters.value !== "" && marker) seek(marker.time);
  });

  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const query = /** @type {HTMLInputElement} */ ($("search")).value;
    if (!query.trim()) {
      results.hidden = true;
      return;
    }
    post({ type: "search", query });
  });

  document.addEventListener("keydown", (e) => {
    const target = /** @type {HTMLElement} */ (e.target);
    if (e.key === " " && target.tagName !== "INPUT" && target.tagName !== "SELECT" && player) {
      e.preventDefault();
      void (playing ? player.pause() : player.play());
    }
  });

  window.addEventListener("message", (event) => {
    const message = event.data;
    if (!message || typeof message.type !== "string") return;
    if (message.type === "load") {
      cast = String(message.cast ?? "");
      markers = Array.isArray(message.markers) ? message.markers : [];
      if (message.speed) {
        const option = [...speedSelect.options].find((o) => Number(o.value) === Number(message.speed));
        speedSelect.value = option ? option.value : "1";
      }
      chapters.textContent = "";
      const none = document.createElement("option");
      none.value = "";
      none.textContent = markers.length ? `(${markers.length} markers)` : "(none)";
      chapters.append(none);
      markers.forEach((m, i) => {
        const option = document.createElement("option");
        option.value = String(i);
        option.textContent = `${fmt(m.time)}  ${m.label}`;
        chapters.append(option);
      });
      chapters.disabled = markers.length === 0;
      status.textContent = "";
      create(0, false);
    } else if (message.type === "searchResults") {
      /** @type {{time:number,preview:string}[]} */
      const hits = message.hits || [];
      results.hidden = false;
      $("results-title").textContent = hits.length
        ? `${hits.length}${hits.length >= 200 ? "+" : ""} match${hits.length === 1 ? "" : "es"} for “${message.query}”`
        : `No match for “${message.query}”`;
      hitsList.textContent = "";
      for (const hit of hits) {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        const time = document.createElement("span");
        time.className = "hit-time";
        time.textContent = fmt(hit.time);
        const text = document.createElement("span");
        text.className = "hit-text";
        text.textContent = hit.preview;
        button.append(time, text);
        button.addEventListener("click", () => {
          if (player && playing) void player.pause();
          seek(hit.time);
        });
        li.append(button);
        hitsList.append(li);
      }
      if (hits.length) seek(hits[0].time);
    } else if (message.type === "seek") {
      seek(Number(message.time) || 0);
    }
  });

  timeTimer = window.setInterval(tick, 500);
  window.addEventListener("unload", () => clearInterval(timeTimer));
  if (typeof AsciinemaPlayer === "undefined") {
    status.textContent = "The bundled player is missing (media/vendor): rebuild the extension.";
    post({ type: "error", message: "AsciinemaPlayer is not defined" });
  }
  post({ type: "ready" });
})();
