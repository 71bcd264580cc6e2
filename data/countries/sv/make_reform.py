"""Write municipios_2024.csv and crosswalk_2024.csv (El Salvador's 2024 reform) beside this file.

Run once, by hand, when the decree's table has to be re-derived (see PROVENANCE.md):

    .venv/bin/python data/countries/sv/make_reform.py [ATTRIBUTES_CSV]

``ATTRIBUTES_CSV`` is the attribute table of the 262-municipality layer (default: the mirror's
geo/sv/sv_municipios_munA_attributes_pop2007.csv); only its codes and names are read. Every name of
the decree is matched to exactly one former municipality of its department, or the script stops.
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Decreto Legislativo N.º 762, art. 2 (Diario Oficial 13 June 2023): department code ->
# (new municipality, its districts), both in the decree's order.
DECREE: dict[str, list[tuple[str, str]]] = {
    "01": [
        ("Ahuachapán Norte", "Atiquizaya, El Refugio, San Lorenzo, Turín"),
        ("Ahuachapán Centro", "Ahuachapán, Apaneca, Concepción de Ataco, Tacuba"),
        ("Ahuachapán Sur", "Guaymango, Jujutla, San Francisco Menéndez, San Pedro Puxtla"),
    ],
    "02": [
        ("Santa Ana Norte", "Masahuat, Metapán, Santa Rosa Guachipilín, Texistepeque"),
        ("Santa Ana Centro", "Santa Ana"),
        ("Santa Ana Este", "Coatepeque, El Congo"),
        (
            "Santa Ana Oeste",
            "Candelaria de la Frontera, Chalchuapa, El Porvenir, San Antonio Pajonal, "
            "San Sebastián Salitrillo, Santiago de la Frontera",
        ),
    ],
    "03": [
        ("Sonsonate Norte", "Juayúa, Nahuizalco, Salcoatitán, Santa Catarina Masahuat"),
        (
            "Sonsonate Centro",
            "Sonsonate, Sonzacate, Nahulingo, San Antonio del Monte, Santo Domingo de Guzmán",
        ),
        ("Sonsonate Este", "Izalco, Armenia, Caluco, San Julián, Cuisnahuat, Santa Isabel Ishuatán"),
        ("Sonsonate Oeste", "Acajutla"),
    ],
    "04": [
        ("Chalatenango Norte", "La Palma, Citalá, San Ignacio"),
        (
            "Chalatenango Centro",
            "Nueva Concepción, Tejutla, La Reina, Agua Caliente, Dulce Nombre de María, El Paraíso, "
            "San Fernando, San Francisco Morazán, San Rafael, Santa Rita",
        ),
        (
            "Chalatenango Sur",
            "Chalatenango, Arcatao, Azacualpa, Comalapa, Concepción Quezaltepeque, El Carrizal, "
            "La Laguna, Las Vueltas, Nombre de Jesús, Nueva Trinidad, Ojos de Agua, Potonico, "
            "San Antonio de La Cruz, San Antonio Los Ranchos, San Francisco Lempa, San Isidro Labrador, "
            "San José Cancasque, San Miguel de Mercedes, San José Las Flores, San Luis del Carmen",
        ),
    ],
    "05": [
        ("La Libertad Norte", "Quezaltepeque, San Matías, San Pablo Tacachico"),
        ("La Libertad Centro", "San Juan Opico, Ciudad Arce"),
        ("La Libertad Oeste", "Colón, Jayaque, Sacacoyo, Tepecoyo, Talnique"),
        ("La Libertad Este", "Antiguo Cuscatlán, Huizúcar, Nuevo Cuscatlán, San José Villanueva, Zaragoza"),
        ("La Libertad Costa", "Chiltiupán, Jicalapa, La Libertad, Tamanique, Teotepeque"),
        ("La Libertad Sur", "Comasagua, Santa Tecla"),
    ],
    "06": [
        ("San Salvador Norte", "Aguilares, El Paisnal, Guazapa"),
        ("San Salvador Oeste", "Apopa, Nejapa"),
        ("San Salvador Este", "Ilopango, San Martín, Soyapango, Tonacatepeque"),
        ("San Salvador Centro", "Ayutuxtepeque, Mejicanos, San Salvador, Cuscatancingo, Ciudad Delgado"),
        ("San Salvador Sur", "Panchimalco, Rosario de Mora, San Marcos, Santo Tomás, Santiago Texacuangos"),
    ],
    "07": [
        (
            "Cuscatlán Norte",
            "Suchitoto, San José Guayabal, Oratorio de Concepción, San Bartolomé Perulapía, San Pedro Perulapán",
        ),
        (
            "Cuscatlán Sur",
            "Cojutepeque, San Rafael Cedros, Candelaria, Monte San Juan, El Carmen, San Cristóbal, "
            "Santa Cruz Michapa, San Ramón, El Rosario, Santa Cruz Analquito, Tenancingo",
        ),
    ],
    "08": [
        (
            "La Paz Oeste",
            "Cuyultitán, Olocuilta, San Juan Talpa, San Luis Talpa, San Pedro Masahuat, Tapalhuaca, "
            "San Francisco Chinameca",
        ),
        (
            "La Paz Centro",
            "El Rosario, Jerusalén, Mercedes La Ceiba, Paraíso de Osorio, San Antonio Masahuat, San Emigdio, "
            "San Juan Tepezontes, San Luis La Herradura, San Miguel Tepezontes, San Pedro Nonualco, "
            "Santa María Ostuma, Santiago Nonualco",
        ),
        ("La Paz Este", "San Juan Nonualco, San Rafael Obrajuelo, Zacatecoluca"),
    ],
    "09": [
        ("Cabañas Este", "Sensuntepeque, Victoria, Dolores, Guacotecti, San Isidro"),
        ("Cabañas Oeste", "Ilobasco, Tejutepeque, Jutiapa, Cinquera"),
    ],
    "10": [
        (
            "San Vicente Norte",
            "Apastepeque, Santa Clara, San Ildefonso, San Esteban Catarina, San Sebastián, San Lorenzo, "
            "Santo Domingo",
        ),
        ("San Vicente Sur", "San Vicente, Guadalupe, Verapaz, Tepetitán, Tecoluca, San Cayetano Istepeque"),
    ],
    "11": [
        (
            "Usulután Norte",
            "Santiago de María, Alegría, Berlín, Mercedes Umaña, Jucuapa, El Triunfo, Estanzuelas, "
            "San Buenaventura, Nueva Granada",
        ),
        (
            "Usulután Este",
            "Usulután, Jucuarán, San Dionisio, Concepción Batres, Santa María, Ozatlán, Tecapán, "
            "Santa Elena, California, Ereguayquín",
        ),
        ("Usulután Oeste", "Jiquilisco, Puerto El Triunfo, San Agustín, San Francisco Javier"),
    ],
    "12": [
        (
            "San Miguel Norte",
            "Ciudad Barrios, Sesori, Nuevo Edén de San Juan, San Gerardo, San Luis de la Reina, Carolina, "
            "San Antonio del Mosco, Chapeltique",
        ),
        ("San Miguel Centro", "San Miguel, Comacarán, Uluazapa, Moncagua, Quelepa, Chirilagua"),
        (
            "San Miguel Oeste",
            "Chinameca, Nueva Guadalupe, Lolotique, San Jorge, San Rafael Oriente, El Tránsito",
        ),
    ],
    "13": [
        (
            "Morazán Norte",
            "Arambala, Cacaopera, Corinto, El Rosario, Joateca, Jocoaitique, Meanguera, Perquín, "
            "San Fernando, San Isidro, Torola",
        ),
        (
            "Morazán Sur",
            "Chilanga, Delicias de Concepción, El Divisadero, Gualococti, Guatajiagua, Jocoro, Lolotiquillo, "
            "Osicala, San Carlos, San Francisco Gotera, San Simón, Sensembra, Sociedad, Yamabal, Yoloaiquín",
        ),
    ],
    "14": [
        (
            "La Unión Norte",
            "Anamorós, Bolívar, Concepción de Oriente, El Sauce, Lislique, Nueva Esparta, Pasaquina, "
            "Polorós, San José La Fuente, Santa Rosa de Lima",
        ),
        (
            "La Unión Sur",
            "Conchagua, El Carmen, Intipucá, La Unión, Meanguera del Golfo, San Alejo, Yayantique, Yucuaiquín",
        ),
    ],
}

# The decree's name -> the layer's name, where folding accents and case is not enough.
ALIASES: dict[tuple[str, str], str] = {
    ("04", "San José Cancasque"): "CANCASQUE",
    ("04", "San José Las Flores"): "LAS FLORES",
    ("06", "Ciudad Delgado"): "DELGADO",
    ("11", "San Buenaventura"): "SAN BUENA VENTURA",
    ("12", "San Antonio del Mosco"): "SAN ANTONIO",
    ("14", "San José La Fuente"): "SAN JOSE",
}


# Where Hacienda's CAT-013 numbers a department's new municipalities in another order than the
# decree lists them: the names in CAT-013's order. Cabañas: the decree lists Este first, CAT-013
# has Cabañas Oeste 0910 and Cabañas Este 0911 (the independent list in the mirror's
# geo/sv/reform-2024-crosscheck/ keeps the decree's order and CAT-013's codes; PROVENANCE.md).
NUMBERING: dict[str, list[str]] = {
    "09": ["Cabañas Oeste", "Cabañas Este"],
}


def fold(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper().split())


def derive(former: dict[tuple[str, str], str]) -> tuple[list[dict], list[dict]]:
    """(municipalities, crosswalk rows) from ``former``: (department, folded name) -> 4-digit code."""
    municipalities, crosswalk, used = [], [], set()
    for dept, entries in DECREE.items():
        # New codes continue after the department's highest former number, in the decree's order
        # unless CAT-013 numbers them otherwise (NUMBERING).
        last = max(int(code[2:]) for (d, _), code in former.items() if d == dept)
        order = NUMBERING.get(dept, [m for m, _ in entries])
        if sorted(order) != sorted(m for m, _ in entries):
            raise SystemExit(f"NUMBERING[{dept!r}] must list the department's municipalities once each")
        for municipality, names in entries:
            code = f"{dept}{last + 1 + order.index(municipality):02d}"
            municipalities.append({"code": code, "name": municipality, "department": dept})
            for name in names.split(", "):
                key = (dept, fold(ALIASES.get((dept, name), name)))
                if key not in former or key in used:
                    raise SystemExit(f"{name} ({dept}): no former municipality, or matched twice")
                used.add(key)
                crosswalk.append({"former_code": former[key], "former_name": name, "municipality_code": code})
    left = sorted(code for key, code in former.items() if key not in used)
    if left:
        raise SystemExit(f"former municipalities not in the decree: {left}")
    return municipalities, sorted(crosswalk, key=lambda r: r["former_code"])


def main(argv: list[str]) -> None:
    if argv:
        source = Path(argv[0])
    else:
        sys.path.insert(0, str(HERE.parents[2]))
        from observatory.contract.settings import Settings

        source = Path(Settings.from_env().mirror) / "geo/sv/sv_municipios_munA_attributes_pop2007.csv"
    with open(source, encoding="utf-8-sig") as fh:
        former = {
            (r["COD_DPTO"], fold(r["NOM_MUN"])): r["COD_MUN4"] for r in csv.DictReader(fh) if r["COD_MUN4"]
        }
    municipalities, crosswalk = derive(former)
    for name, rows in (("municipios_2024.csv", municipalities), ("crosswalk_2024.csv", crosswalk)):
        with open(HERE / name, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"{name}: {len(rows)} rows")


if __name__ == "__main__":
    main(sys.argv[1:])
