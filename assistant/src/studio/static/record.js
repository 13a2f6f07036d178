// The studio's recorder: for each phrase, record with the microphone
// (getUserMedia + MediaRecorder), listen back, and save. What MediaRecorder
// makes (WebM or Ogg Opus, by browser) is decoded here by the browser and
// sent as a 16-bit PCM WAV file, which the server checks before keeping it.
"use strict";

(function () {
  const list = document.getElementById("phrases");
  if (!list) return;
  const words = list.dataset;

  if (!navigator.mediaDevices || !window.MediaRecorder) {
    document.getElementById("no-microphone").hidden = false;
    list.querySelectorAll("button.record").forEach((b) => (b.disabled = true));
    return;
  }

  // A mono 16-bit PCM WAV file of an AudioBuffer's channels mixed down.
  function wav(buffer) {
    const frames = buffer.length;
    const mixed = new Float32Array(frames);
    for (let c = 0; c < buffer.numberOfChannels; c++) {
      const data = buffer.getChannelData(c);
      for (let i = 0; i < frames; i++) mixed[i] += data[i] / buffer.numberOfChannels;
    }
    const bytes = new DataView(new ArrayBuffer(44 + frames * 2));
    const text = (at, s) => [...s].forEach((ch, i) => bytes.setUint8(at + i, ch.charCodeAt(0)));
    text(0, "RIFF");
    bytes.setUint32(4, 36 + frames * 2, true);
    text(8, "WAVE");
    text(12, "fmt ");
    bytes.setUint32(16, 16, true);
    bytes.setUint16(20, 1, true); // PCM
    bytes.setUint16(22, 1, true); // mono
    bytes.setUint32(24, buffer.sampleRate, true);
    bytes.setUint32(28, buffer.sampleRate * 2, true);
    bytes.setUint16(32, 2, true);
    bytes.setUint16(34, 16, true);
    text(36, "data");
    bytes.setUint32(40, frames * 2, true);
    for (let i = 0; i < frames; i++) {
      const s = Math.max(-1, Math.min(1, mixed[i]));
      bytes.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
    }
    return new Blob([bytes.buffer], { type: "audio/wav" });
  }

  function setVerdict(row, text, good) {
    const verdict = row.querySelector(".verdict");
    verdict.textContent = text;
    verdict.classList.toggle("good", good);
  }

  let active = null; // the MediaRecorder running, one at a time

  list.querySelectorAll("li.phrase").forEach((row) => {
    const recordButton = row.querySelector("button.record");
    const saveButton = row.querySelector("button.save");
    const player = row.querySelector("audio");
    let take = null; // the WAV blob recorded last

    recordButton.addEventListener("click", async () => {
      if (active && active.row === row) {
        active.recorder.stop();
        return;
      }
      if (active) return;
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (error) {
        setVerdict(row, words.redo + ": " + error.message, false);
        return;
      }
      const recorder = new MediaRecorder(stream);
      const chunks = [];
      recorder.addEventListener("dataavailable", (e) => chunks.push(e.data));
      recorder.addEventListener("stop", async () => {
        stream.getTracks().forEach((t) => t.stop());
        active = null;
        recordButton.textContent = "⏺ " + words.start;
        row.classList.remove("recording");
        try {
          const context = new AudioContext();
          const decoded = await context.decodeAudioData(await new Blob(chunks).arrayBuffer());
          await context.close();
          take = wav(decoded);
          player.src = URL.createObjectURL(take);
          saveButton.disabled = false;
          setVerdict(row, "", false);
        } catch (error) {
          setVerdict(row, words.redo + ": " + error.message, false);
        }
      });
      active = { row, recorder };
      recorder.start();
      recordButton.textContent = "⏹ " + words.stop;
      row.classList.add("recording");
      saveButton.disabled = true;
    });

    saveButton.addEventListener("click", async () => {
      if (!take) return;
      saveButton.disabled = true;
      setVerdict(row, words.saving, false);
      try {
        const response = await fetch(row.dataset.save, {
          method: "POST",
          headers: { "content-type": "audio/wav", "x-csrf-token": list.dataset.csrf },
          body: take,
          credentials: "same-origin",
        });
        const type = response.headers.get("content-type") || "";
        const answer = type.startsWith("application/json")
          ? await response.json()
          : { saved: false, message: response.status + " " + response.statusText };
        setVerdict(row, answer.message, answer.saved);
        if (answer.saved) {
          row.classList.add("done");
          row.querySelector(".status").textContent = "✅ " + words.saved;
        } else {
          saveButton.disabled = false;
        }
      } catch (error) {
        setVerdict(row, error.message, false);
        saveButton.disabled = false;
      }
    });
  });
})();
