// Poll the job's JSON status while it is queued or running, and update the page in place.
(function () {
  const section = document.getElementById("job");
  if (!section || section.dataset.active !== "true") return;
  const field = (name) => section.querySelector(`[data-field="${name}"]`);
  const labels = JSON.parse(section.dataset.labels || "{}");
  async function poll() {
    let job;
    try {
      const response = await fetch(section.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.status);
      job = await response.json();
    } catch (error) {
      setTimeout(poll, 5000);
      return;
    }
    field("status").textContent = labels[job.status] || job.status;
    field("status").className = `status ${job.status}`;
    field("progress").value = job.progress;
    field("percent").textContent = `${job.progress}%`;
    field("stage").textContent = job.stage || "";
    if (job.error) { field("error").textContent = job.error; field("error").hidden = false; }
    if (job.status === "queued" || job.status === "running") {
      setTimeout(poll, 1000);
    } else {
      window.location.reload();  // Show the result, download link and retry button.
    }
  }
  setTimeout(poll, 1000);
})();
