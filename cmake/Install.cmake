# What `cmake --install` puts where, one component per Debian package
# (debian/rules installs each component into its package's tree with --prefix /usr):
#   lamp   lampid, lampi-ui, lampi-ble, the bridge's no-Nagle preload
#   cloud  lampi-cloud, lampi-ca, the broker plugin, the control page's static files
#   load   lampi-load
# Configuration files, units and the nginx site are Debian files (debian/, deploy/):
# they name /etc/lampi and /var/lib/lampi, which only a system install has.
include(GNUInstallDirs)

install(TARGETS lampid lampi-ui lampi-ble RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT lamp)
# Preloaded into the lamp's Mosquitto by a mosquitto.service drop-in (deploy/lamp/mosquitto/).
install(TARGETS lampi_bridge_nodelay LIBRARY DESTINATION lib/lampi COMPONENT lamp)

if(LAMPI_CLOUD)
  install(TARGETS lampi-cloud lampi-ca RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cloud)
  # A private directory, not the multiarch library path: the plugin is loaded by
  # Mosquitto from its full path (plugin /usr/lib/lampi/lampi_auth_plugin.so),
  # nothing links it.
  install(TARGETS lampi_auth_plugin LIBRARY DESTINATION lib/lampi COMPONENT cloud)
  # Built by the web_static target (part of `all`); the source map stays out.
  install(DIRECTORY "${LAMPI_WEB_STATIC_DIR}/" DESTINATION ${CMAKE_INSTALL_DATADIR}/lampi/web
          COMPONENT cloud PATTERN "*.map" EXCLUDE)
endif()

if(LAMPI_LOAD)
  install(TARGETS lampi-load RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT load)
endif()
