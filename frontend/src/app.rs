use gloo_net::http::Request;
use leptos::prelude::*;

/// The product list as `GET /list` returns it.
async fn load_products() -> Result<Vec<String>, String> {
    let resp = Request::get("/list")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !resp.ok() {
        return Err(format!("GET /list answered HTTP {}", resp.status()));
    }
    resp.json::<Vec<String>>().await.map_err(|e| e.to_string())
}

#[component]
pub fn App() -> impl IntoView {
    let products = LocalResource::new(load_products);
    view! {
        <div class="layout">
            <nav class="sidebar">
                <h1 class="brand">"Codis"</h1>
                <Suspense fallback=|| view! { <p class="muted">"Loading products…"</p> }>
                    {move || products.get().map(|r| match r {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" id="no-products">"No products found. Check the discovery flags (--dashboard-list, --zookeeper, --etcd, --filesystem) or start with --demo."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="products">
                                {list.into_iter().map(|p| view! { <li><a href=format!("#/{p}")>{p.clone()}</a></li> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">"Cannot load products: " {e}</p> }.into_any(),
                    })}
                </Suspense>
            </nav>
            <main class="main">
                <h2>"Overview"</h2>
            </main>
        </div>
    }
}
