(function () {
  var form = document.getElementById('filtres');
  if (!form) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll('#table-rapports tbody tr'));
  var count = document.getElementById('compte');
  var none = document.getElementById('aucun');
  var names = ['cible', 'academie', 'annee', 'statut'];
  form.hidden = false;
  function values() {
    var v = {};
    names.forEach(function (n) { v[n] = form.elements[n].value; });
    return v;
  }
  function apply(updateAddress) {
    var v = values(), shown = 0;
    rows.forEach(function (r) {
      var ok = (!v.cible || r.getAttribute('data-target') === v.cible)
        && (!v.academie || r.getAttribute('data-academy') === v.academie)
        && (!v.annee || r.getAttribute('data-period') === v.annee)
        && (!v.statut || (' ' + r.getAttribute('data-statuses') + ' ').indexOf(' ' + v.statut + ' ') >= 0);
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + ' rapport(s) affiché(s) sur ' + rows.length + '.';
    none.hidden = shown !== 0;
    if (updateAddress) {
      var h = names.filter(function (n) { return v[n]; })
        .map(function (n) { return n + '=' + encodeURIComponent(v[n]); }).join('&');
      if (h || location.hash) { location.replace('#' + h); }
    }
  }
  function readAddress() {
    var wanted = {};
    (location.hash || '').replace(/^#/, '').split('&').forEach(function (kv) {
      var p = kv.split('=');
      if (names.indexOf(p[0]) >= 0) { wanted[p[0]] = decodeURIComponent(p[1] || ''); }
    });
    names.forEach(function (n) {
      var el = form.elements[n], val = wanted[n] || '';
      el.value = '';
      for (var i = 0; i < el.options.length; i++) { if (el.options[i].value === val) { el.value = val; } }
    });
  }
  form.addEventListener('change', function () { apply(true); });
  form.addEventListener('reset', function () { setTimeout(function () { apply(true); }, 0); });
  window.addEventListener('hashchange', function () { readAddress(); apply(false); });
  readAddress();
  apply(false);
})();
