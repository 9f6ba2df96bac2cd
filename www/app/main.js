// Loads the dashboard's wasm; its start function mounts the app on <body>.
import init from "/app/pkg/inlet_dashboard.js";
init();
