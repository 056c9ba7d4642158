// A realistic shop page: header and navigation, a grid of product cards, filters, a cart summary and a
// checkout form, about 25 elements per product.
export function productPage(products = 120) {
  const cards = [];
  for (let i = 0; i < products; i++) {
    cards.push(`
      <article class="card product" data-sku="SKU-${1000 + i}" itemscope itemtype="https://schema.org/Product">
        <a class="card-link" href="/p/${1000 + i}"><img class="thumb" src="/img/${i}.webp" alt="Product ${i}" loading="lazy"></a>
        <div class="card-body">
          <h3 class="title" itemprop="name">Product ${i} — ${['Linen shirt', 'Trail shoe', 'Desk lamp', 'Tea set'][i % 4]}</h3>
          <p class="price"><span class="currency">€</span><span class="amount" itemprop="price">${(9.99 + i).toFixed(2)}</span></p>
          <ul class="badges">${i % 3 === 0 ? '<li class="badge sale">Sale</li>' : ''}<li class="badge">Free returns</li></ul>
          <div class="rating" aria-label="Rated ${(i % 5) + 1} out of 5"><span class="star"></span><span class="star"></span><span class="count">(${i * 3})</span></div>
          <button class="btn btn-secondary add-to-cart" type="button" data-testid="add-${i}">Add to cart</button>
        </div>
      </article>`);
  }
  const filters = ['Size', 'Colour', 'Brand', 'Price', 'Rating'].map(
    (f) => `<fieldset class="filter"><legend>${f}</legend>${[1, 2, 3, 4].map((n) => `<label><input type="checkbox" name="${f.toLowerCase()}" value="${n}"> ${f} ${n}</label>`).join('')}</fieldset>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="stylesheet" href="/app.css"></head>
<body>
  <header class="site-header"><a class="logo" href="/">Shop</a>
    <nav class="main-nav"><ul>${['Women', 'Men', 'Kids', 'Home', 'Sale'].map((n) => `<li><a href="/c/${n.toLowerCase()}">${n}</a></li>`).join('')}</ul></nav>
    <form class="search" role="search"><input type="search" name="q" placeholder="Search" aria-label="Search"><button type="submit" class="btn">Go</button></form>
  </header>
  <main class="layout">
    <aside class="filters">${filters.join('')}</aside>
    <section class="grid" aria-label="Products">${cards.join('')}</section>
    <aside class="cart-summary">
      <h2>Your cart</h2><p class="items">3 items</p><p class="total">€ 89.97</p>
      <form id="checkout" action="/checkout" method="post">
        <label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email">
        <label for="coupon">Coupon</label><input id="coupon" name="coupon" type="text">
        <button class="btn btn-primary" type="submit" data-testid="checkout-submit">Place order</button>
      </form>
    </aside>
  </main>
  <footer class="site-footer"><p>© Shop</p><ul>${['About', 'Help', 'Privacy', 'Terms'].map((n) => `<li><a href="/${n.toLowerCase()}">${n}</a></li>`).join('')}</ul></footer>
</body></html>`;
}
