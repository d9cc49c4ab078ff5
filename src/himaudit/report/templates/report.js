// himaudit report: sortable, filterable, paged tables. No libraries, no network.
"use strict";
(function () {
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }

  function compare(a, b) {
    var na = Number(a.replace(/,/g, "")), nb = Number(b.replace(/,/g, ""));
    if (a !== "" && b !== "" && !isNaN(na) && !isNaN(nb)) return na - nb;
    return a.localeCompare(b, undefined, { numeric: true });
  }

  function setUp(table) {
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var pageSize = parseInt(table.getAttribute("data-page-size") || "25", 10);
    var state = { page: 0, filtered: rows };
    var pager = document.createElement("div");
    pager.className = "pager";
    var filter = document.createElement("input");
    filter.type = "search";
    filter.placeholder = "filter rows…";
    filter.setAttribute("aria-label", "filter rows");
    var prev = document.createElement("button");
    prev.type = "button";
    prev.textContent = "‹ prev";
    var next = document.createElement("button");
    next.type = "button";
    next.textContent = "next ›";
    var info = document.createElement("span");
    pager.appendChild(filter);
    pager.appendChild(prev);
    pager.appendChild(next);
    pager.appendChild(info);
    table.parentNode.insertBefore(pager, table);

    function render() {
      var pages = Math.max(1, Math.ceil(state.filtered.length / pageSize));
      state.page = Math.min(Math.max(state.page, 0), pages - 1);
      var start = state.page * pageSize, end = start + pageSize;
      var visible = new Set(state.filtered.slice(start, end));
      rows.forEach(function (r) { r.hidden = !visible.has(r); });
      state.filtered.slice(start, end).forEach(function (r) { body.appendChild(r); });
      info.textContent = state.filtered.length
        ? "rows " + (start + 1) + "–" + Math.min(end, state.filtered.length) + " of " +
          state.filtered.length + " (page " + (state.page + 1) + " of " + pages + ")"
        : "no matching rows";
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
    }

    prev.addEventListener("click", function () { state.page -= 1; render(); });
    next.addEventListener("click", function () { state.page += 1; render(); });
    filter.addEventListener("input", function () {
      var q = filter.value.toLowerCase();
      state.filtered = rows.filter(function (r) { return r.textContent.toLowerCase().indexOf(q) >= 0; });
      state.page = 0;
      render();
    });

    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      th.classList.add("sortable");
      th.addEventListener("click", function () {
        var asc = !th.classList.contains("asc");
        Array.prototype.forEach.call(headers, function (h) { h.classList.remove("asc", "desc"); });
        th.classList.add(asc ? "asc" : "desc");
        var order = rows.slice().sort(function (a, b) {
          var c = compare(cellValue(a, index), cellValue(b, index));
          return asc ? c : -c;
        });
        rows = order;
        var keep = new Set(state.filtered);
        state.filtered = rows.filter(function (r) { return keep.has(r); });
        state.page = 0;
        render();
      });
    });
    render();
  }

  document.querySelectorAll("table.data").forEach(setUp);
  document.documentElement.setAttribute("data-report-ready", "true");
})();
